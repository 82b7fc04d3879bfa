using Envoy.Service.Discovery.V3;
using Kuma.Grains;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;
using Kuma.Xds.Protocol;

namespace Kuma.Tests.Xds;

/// <summary>
/// Rule 17: no response over 4 MiB. The mesh is built in-process, since the API's body limit keeps
/// any one dataplane far smaller than what it takes to fill a response.
/// </summary>
public sealed class ResponseSizeTests
{
    private const int Services = 40;

    /// <summary>Services whose endpoints carry ~120 KB of tags each: about 4.8 MB of endpoints in all.</summary>
    private static MeshContext BigMesh(int inboundsOnOneDataplane = 0)
    {
        var tags = string.Join(',', Enumerable.Range(0, 2000).Select(i => $"\"tag-{i:D4}\":\"value-{new string('x', 40)}\""));
        var dataplanes = Enumerable.Range(0, Services).Select(s =>
            ($"dp-{s}", "{\"networking\":{\"address\":\"10.0." + (s / 200) + "." + (s % 200 + 1) + "\",\"inbound\":[{\"port\":9000,\"tags\":{\"kuma.io/service\":\"svc-" + s + "\"," + tags + "}}]}}")).ToList();
        if (inboundsOnOneDataplane > 0)
        {
            var inbounds = string.Join(',', Enumerable.Range(0, inboundsOnOneDataplane).Select(i =>
                "{\"port\":" + (10000 + i) + ",\"tags\":{\"kuma.io/service\":\"wide-" + i + "\"," + tags + "}}"));
            dataplanes.Add(("wide", "{\"networking\":{\"address\":\"10.9.9.9\",\"inbound\":[" + inbounds + "]}}"));
        }
        return InProcessMesh.Build(dataplanes);
    }

    private static IEnumerable<string> AllServices => Enumerable.Range(0, Services).Select(s => $"svc-{s}");

    [Fact]
    public void Endpoints_over_4_MiB_are_split_across_state_of_the_world_responses()
    {
        var engine = new SotwStream(TimeProvider.System);
        engine.OnConfig(BigMesh().ForProxy("caller"));
        var request = new DiscoveryRequest { TypeUrl = TypeUrls.ClusterLoadAssignment };
        request.ResourceNames.AddRange(AllServices);
        var responses = engine.OnRequest(request);

        Assert.True(responses.Count >= 2);
        Assert.All(responses, r => Assert.True(r.CalculateSize() < 4 * 1024 * 1024, $"{r.CalculateSize()} bytes"));
        Assert.Equal(Services, responses.Sum(r => r.Resources.Count));
    }

    [Fact]
    public void Listeners_over_4_MiB_are_not_sent_and_the_reason_is_recorded()
    {
        var engine = new SotwStream(TimeProvider.System);
        engine.OnConfig(BigMesh(inboundsOnOneDataplane: 40).ForProxy("wide"));
        var responses = engine.OnRequest(new DiscoveryRequest { TypeUrl = TypeUrls.Listener });
        Assert.Empty(responses);
        Assert.Contains(engine.Events, e => e.Kind == XdsEventKind.Nacked && e.Error!.Contains("exceed", StringComparison.Ordinal));
    }

    [Fact]
    public void Delta_splits_too()
    {
        var engine = new DeltaStream(TimeProvider.System);
        engine.OnConfig(BigMesh().ForProxy("caller"));
        var request = new DeltaDiscoveryRequest { TypeUrl = TypeUrls.ClusterLoadAssignment };
        request.ResourceNamesSubscribe.AddRange(AllServices);
        var responses = engine.OnRequest(request);
        Assert.True(responses.Count >= 2);
        Assert.All(responses, r => Assert.True(r.CalculateSize() < 4 * 1024 * 1024));
        Assert.Equal(Services, responses.Sum(r => r.Resources.Count));
    }
}
