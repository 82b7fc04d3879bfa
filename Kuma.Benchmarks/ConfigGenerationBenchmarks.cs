using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using Envoy.Service.Discovery.V3;
using Kuma.Grains;
using Kuma.Resources;
using Kuma.Xds.Generation;
using Kuma.Xds.Protocol;

namespace Kuma.Benchmarks;

/// <summary>
/// The cost of one proxy's config for a sidecar with N outbound services (each service with two
/// endpoints). Baseline: everything built and encoded from scratch for that proxy, as a generator
/// without sharing would. Against it: what this design does per proxy once the mesh's generation is
/// warm (its own resources, then assembling the responses from shared, already-encoded bytes).
/// </summary>
[MemoryDiagnoser]
public class ConfigGenerationBenchmarks
{
    private MeshSnapshot _snapshot = null!;
    private MeshContext _warm = null!;
    private string[] _services = [];

    [Params(10, 100, 1000)]
    public int Services { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _services = [.. Enumerable.Range(0, Services).Select(i => $"svc-{i}")];
        var dataplanes = ImmutableSortedDictionary.CreateBuilder<string, StoredResource>(StringComparer.Ordinal);
        for (var i = 0; i < Services; i++)
        {
            for (var replica = 0; replica < 2; replica++)
            {
                var name = $"svc-{i}-{replica}";
                dataplanes[name] = BenchmarkMesh.Dataplane(name, $$$"""{"networking":{"address":"10.{{{replica}}}.{{{i / 250}}}.{{{i % 250 + 1}}}","inbound":[{"port":8080,"servicePort":80,"tags":{"kuma.io/service":"svc-{{{i}}}","kuma.io/protocol":"http"}}]}}""");
            }
        }
        var outbounds = string.Join(',', _services.Select((s, i) => $$$"""{"port":{{{10000 + i}}},"tags":{"kuma.io/service":"{{{s}}}"}}"""));
        foreach (var client in new[] { "client", "client-2" })
            dataplanes[client] = BenchmarkMesh.Dataplane(client, $$$"""{"networking":{"address":"10.9.0.1","inbound":[{"port":8080,"servicePort":80,"tags":{"kuma.io/service":"web","kuma.io/protocol":"http"}}],"outbound":[{{{outbounds}}}]}}""");
        _snapshot = BenchmarkMesh.Snapshot(dataplanes.ToImmutable());

        // Warm: another proxy of the mesh already made this generation encode its shared resources.
        _warm = MeshContext.Build(_snapshot);
        Respond(_warm.ForProxy("client-2"));
    }

    [Benchmark(Baseline = true, Description = "from scratch (no sharing)")]
    public int FromScratch() => Respond(MeshContext.Build(_snapshot).ForProxy("client"));

    [Benchmark(Description = "per proxy on a warm generation")]
    public int WarmGeneration() => Respond(ProxyConfig.Build(_warm, "client"));

    /// <summary>What a new stream costs: CDS, EDS for every cluster, LDS, as state-of-the-world responses.</summary>
    private int Respond(ProxyConfig config)
    {
        var stream = new SotwStream(TimeProvider.System);
        stream.OnConfig(config);
        var bytes = 0;
        foreach (var response in stream.OnRequest(new DiscoveryRequest { TypeUrl = TypeUrls.Cluster })) bytes += response.CalculateSize();
        var eds = new DiscoveryRequest { TypeUrl = TypeUrls.ClusterLoadAssignment };
        eds.ResourceNames.AddRange(_services);
        foreach (var response in stream.OnRequest(eds)) bytes += response.CalculateSize();
        foreach (var response in stream.OnRequest(new DiscoveryRequest { TypeUrl = TypeUrls.Listener })) bytes += response.CalculateSize();
        return bytes;
    }
}
