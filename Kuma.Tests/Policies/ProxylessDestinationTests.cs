using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Policies;

/// <summary>A proxyless destination has no inbound proxy: its inbound faults are injected by its proxyless callers.</summary>
public sealed class ProxylessDestinationTests
{
    private const string Backend = """{"networking":{"address":"10.0.0.1","inbound":[{"port":50051,"tags":{"kuma.io/service":"backend","kuma.io/protocol":"grpc"}}]}}""";
    private const string Fault = """
        {"targetRef":{"kind":"MeshService","name":"backend"},
         "from":[{"targetRef":{"kind":"Mesh"},"default":{"http":[{"abort":{"httpStatus":503,"percentage":50}}]}}]}
        """;

    private static List<string> CallerFilters(bool proxylessDestination)
    {
        var labels = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        if (proxylessDestination) labels["backend-1"] = new Dictionary<string, string> { [MeshContext.ProxyTypeLabel] = "proxyless" };
        var mesh = InProcessMesh.Build([("backend-1", Backend)], policies: [("MeshFaultInjection", "half-fail", Fault)], labels: labels);
        var listener = mesh.ForProxy("caller").Find(TypeUrls.Listener, "backend")!.Payload.Unpack<Listener>();
        return [.. listener.ApiListener.ApiListener_.Unpack<HttpConnectionManager>().HttpFilters.Select(f => f.Name)];
    }

    [Fact]
    public void A_proxyless_callers_listener_carries_the_faults_of_a_proxyless_destination_and_not_of_a_sidecar_one()
    {
        Assert.Equal(["envoy.filters.http.fault", "envoy.filters.http.router"], CallerFilters(proxylessDestination: true));
        Assert.Equal(["envoy.filters.http.router"], CallerFilters(proxylessDestination: false));
    }
}
