using System.Globalization;
using System.Net;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Faults;

/// <summary>
/// Many <see cref="FaultProxy"/>s spread over a few meshes of the default tenant: the meshes, their dataplanes and
/// tokens are created through the API, then every proxy connects and waits for its first config.
/// </summary>
public sealed class ProxyFleet : IAsyncDisposable
{
    private readonly List<FaultProxy> _proxies;

    private ProxyFleet(List<FaultProxy> proxies, string[] meshes)
    {
        _proxies = proxies;
        Meshes = meshes;
    }

    public IReadOnlyList<FaultProxy> Proxies => _proxies;
    public string[] Meshes { get; }

    /// <param name="addresses">The DP server addresses proxy <c>i</c> tries in turn, starting from its first.</param>
    public static async Task<ProxyFleet> StartAsync(HttpClient api, int meshCount, int proxyCount, Func<int, string[]> addresses)
    {
        var meshes = Enumerable.Range(0, meshCount).Select(m => $"fault-{m}").ToArray();
        foreach (var mesh in meshes)
            Assert.Equal(HttpStatusCode.Created, (await api.PutAsync($"/meshes/{mesh}", ControlPlane.Json("{}"))).StatusCode);

        var tokens = new string[proxyCount];
        using var limit = new SemaphoreSlim(8);
        await Task.WhenAll(Enumerable.Range(0, proxyCount).Select(async i =>
        {
            await limit.WaitAsync();
            try
            {
                var (mesh, name) = (meshes[i % meshCount], Name(i));
                var address = $"10.1.{i / 250}.{(i % 250) + 1}";
                var created = await api.PutAsync($"/meshes/{mesh}/dataplanes/{name}", ControlPlane.Json(Samples.Dataplane(mesh, name, address: address)));
                Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
                tokens[i] = await ControlPlane.DataplaneTokenAsync(api, mesh, name);
            }
            finally
            {
                limit.Release();
            }
        }));

        var proxies = Enumerable.Range(0, proxyCount).Select(i => new FaultProxy(addresses(i), meshes[i % meshCount], Name(i), tokens[i])).ToList();
        var fleet = new ProxyFleet(proxies, meshes);
        try
        {
            await Eventually.HoldsAsync(() => Task.FromResult(proxies.All(p => p.Current is not null)), TimeSpan.FromSeconds(60),
                "every proxy has a first config with the backend cluster");
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
        return fleet;
    }

    private static string Name(int i) => $"dp-{i.ToString("D3", CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Waits until every proxy holds its mesh's value of <paramref name="latest"/>, then returns how long after
    /// <paramref name="since"/> the last of them first held it. Fails after <paramref name="timeout"/>, naming the laggards.
    /// </summary>
    public Task<TimeSpan> ConvergedAfterAsync(IReadOnlyDictionary<string, long> latest, DateTime since, TimeSpan timeout) =>
        ConvergedAfterAsync(latest, _ => since, timeout);

    /// <summary>As above, each mesh measured from its own instant (e.g. when its latest write was acknowledged).</summary>
    public async Task<TimeSpan> ConvergedAfterAsync(IReadOnlyDictionary<string, long> latest, Func<string, DateTime> since, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var behind = _proxies.Where(p => p.Current != latest[p.Mesh]).ToList();
            if (behind.Count == 0) break;
            if (DateTime.UtcNow > deadline)
            {
                var names = string.Join(", ", behind.Take(10).Select(p => $"{p.Mesh}.{p.Name} holds {p.Current} (wants {latest[p.Mesh]}) via {p.ServedBy}, ended: {string.Join(" | ", p.Endings.TakeLast(3))}"));
                Assert.Fail($"{behind.Count} of {_proxies.Count} proxies did not converge within {timeout}: {names}");
            }
            await Task.Delay(50);
        }
        return _proxies.Select(p => p.FirstHeld(latest[p.Mesh])!.Value - since(p.Mesh)).Max();
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_proxies.Select(p => p.DisposeAsync().AsTask()));
    }
}
