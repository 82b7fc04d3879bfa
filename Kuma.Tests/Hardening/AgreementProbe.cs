using System.Text.Json.Nodes;
using Envoy.Config.Listener.V3;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Xds;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Hardening;

/// <summary>
/// Where one dataplane's address is seen: the API's GET, its <c>_config</c>, and a connected proxy's
/// listeners. After any fault the three must agree with each other.
/// </summary>
public sealed class AgreementProbe(HttpClient tenant, AdsClient proxy, string mesh, string name, int port)
{
    private IReadOnlyCollection<string> _proxyListeners = [];

    public async Task<string> StoredAddressAsync() =>
        JsonNode.Parse(await tenant.GetStringAsync($"/meshes/{mesh}/dataplanes/{name}"))!["networking"]!["address"]!.GetValue<string>();

    public async Task<bool> ConfigShowsAsync(string address) =>
        (await tenant.GetStringAsync($"/meshes/{mesh}/dataplanes/{name}/_config")).Contains($"inbound:{address}:{port}", StringComparison.Ordinal);

    /// <summary>Reads (and acknowledges) the proxy's listener pushes until one holds the address, or the deadline passes.</summary>
    public async Task<bool> ProxyShowsAsync(string address, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (!_proxyListeners.Contains($"inbound:{address}:{port}"))
        {
            if (DateTime.UtcNow >= deadline) return false;
            var response = await proxy.NextOfTypeAsync(TypeUrls.Listener, deadline - DateTime.UtcNow);
            await proxy.AckAsync(response);
            _proxyListeners = response.Resources.Select(r => r.Unpack<Listener>().Name).ToHashSet();
        }
        return true;
    }

    /// <summary>Waits until GET and <c>_config</c> agree, then until the proxy has that address too; returns it.</summary>
    public async Task<string> AgreedAddressAsync(TimeSpan within)
    {
        var address = "";
        await Eventually.HoldsAsync(async () => await ConfigShowsAsync(address = await StoredAddressAsync()), within, "GET and _config agree");
        Assert.True(await ProxyShowsAsync(address, within), $"the proxy gets inbound:{address}:{port}");
        return address;
    }
}
