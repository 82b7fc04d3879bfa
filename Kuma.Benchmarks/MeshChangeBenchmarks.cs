using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using Envoy.Service.Discovery.V3;
using Kuma.Grains;
using Kuma.Resources;
using Kuma.Xds.Generation;
using Kuma.Xds.Protocol;

namespace Kuma.Benchmarks;

/// <summary>
/// What one change costs the node serving a whole mesh: a new endpoint of the service every proxy calls,
/// then the new generation and each proxy's state-of-the-world push. Baseline: the generation built from
/// scratch (every dataplane parsed, every proxy's config encoded again). Against it: the generation built
/// from the previous one. Each operation flips between two snapshots, so every push carries a change.
/// </summary>
[MemoryDiagnoser]
public class MeshChangeBenchmarks
{
    private MeshSnapshot[] _snapshots = [];
    private string[] _proxies = [];
    private string[] _services = [];
    private SotwStream[] _streams = [];
    private MeshContext _current = null!;
    private int _flip;

    [Params("100x10", "2000x200")]
    public string Mesh { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var parts = Mesh.Split('x');
        var (proxies, services) = (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        _services = [.. Enumerable.Range(0, services).Select(s => $"svc-{s}")];
        _proxies = [.. Enumerable.Range(0, proxies).Select(p => $"proxy-{p}")];
        var outbounds = string.Join(',', _services.Select((s, i) => $$$"""{"port":{{{10000 + i}}},"tags":{"kuma.io/service":"{{{s}}}"}}"""));
        var dataplanes = ImmutableSortedDictionary.CreateBuilder<string, StoredResource>(StringComparer.Ordinal);
        for (var p = 0; p < proxies; p++)
            dataplanes[_proxies[p]] = Dataplane(_proxies[p], p, _services[p % services], outbounds);
        var without = dataplanes.ToImmutable();
        var with = without.Add("extra", Dataplane("extra", proxies, _services[0], ""));
        _snapshots = [BenchmarkMesh.Snapshot(without, 1), BenchmarkMesh.Snapshot(with, 2)];

        _current = MeshContext.Build(_snapshots[0]);
        _streams = [.. _proxies.Select(p =>
        {
            var stream = new SotwStream(TimeProvider.System);
            stream.OnConfig(_current.ForProxy(p));
            stream.OnRequest(new DiscoveryRequest { TypeUrl = TypeUrls.Cluster });
            var eds = new DiscoveryRequest { TypeUrl = TypeUrls.ClusterLoadAssignment };
            eds.ResourceNames.AddRange(_services);
            stream.OnRequest(eds);
            stream.OnRequest(new DiscoveryRequest { TypeUrl = TypeUrls.Listener });
            return stream;
        })];
    }

    [Benchmark(Baseline = true, Description = "next generation from scratch")]
    public int FromScratch() => Push(MeshContext.Build(Next()));

    [Benchmark(Description = "next generation from the previous one")]
    public int Incremental() => Push(MeshContext.Build(Next(), _current));

    private MeshSnapshot Next() => _snapshots[_flip ^= 1];

    private int Push(MeshContext next)
    {
        _current = next;
        var bytes = 0;
        for (var i = 0; i < _proxies.Length; i++)
        {
            foreach (var response in _streams[i].OnConfig(next.ForProxy(_proxies[i]))) bytes += response.CalculateSize();
        }
        return bytes;
    }

    private static StoredResource Dataplane(string name, int index, string service, string outbounds) => BenchmarkMesh.Dataplane(name,
        $$$"""{"networking":{"address":"10.0.{{{index / 250}}}.{{{index % 250 + 1}}}","inbound":[{"port":8080,"servicePort":80,"tags":{"kuma.io/service":"{{{service}}}","kuma.io/protocol":"http"}}],"outbound":[{{{outbounds}}}]}}""");
}
