using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Udp.DnsFilter.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Xds;
using Kuma.Xds.Generation;

namespace Kuma.Tests.TransparentProxy;

/// <summary>Service VIPs on live control planes: allocated by the mesh grain, stored, and pushed to transparent proxies.</summary>
public sealed class VipLiveTests
{
    private const string Mesh = "tp";

    private static string Dataplane(string name, string address, string service, bool transparent = false)
    {
        var redirect = transparent ? ""","transparentProxying":{"redirectPortInbound":15006,"redirectPortOutbound":15001}""" : "";
        return $$$"""{"type":"Dataplane","mesh":"{{{Mesh}}}","name":"{{{name}}}","networking":{"address":"{{{address}}}","inbound":[{"port":8080,"tags":{"kuma.io/service":"{{{service}}}","kuma.io/protocol":"http"}}]{{{redirect}}}}}""";
    }

    private static async Task PutAsync(HttpClient client, string path, string json, HttpStatusCode expected = HttpStatusCode.Created)
    {
        using var response = await client.PutAsync(path, ControlPlane.Json(json));
        Assert.True(response.StatusCode == expected, $"PUT {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static Task CreateMeshAsync(HttpClient client) => PutAsync(client, $"/meshes/{Mesh}", """{"skipCreatingInitialPolicies":["*"]}""");

    /// <summary>The VIP outbound listeners of a dataplane's config as the control plane shows it (<c>_config</c>).</summary>
    private static async Task<List<string>> VipOutboundsAsync(HttpClient client, string dataplane)
    {
        var config = JsonNode.Parse(await client.GetStringAsync($"/meshes/{Mesh}/dataplanes/{dataplane}/_config"))!;
        var listeners = config["xds"]!["type.googleapis.com/envoy.config.listener.v3.Listener"]!.AsObject();
        return [.. listeners.Select(l => l.Key).Where(n => n.StartsWith("outbound:240.", StringComparison.Ordinal))];
    }

    [Fact]
    public async Task A_new_service_gets_a_vip_and_every_transparent_proxy_an_outbound_and_a_dns_name_for_it()
    {
        await using var cp = await ControlPlane.StartAsync(extra: new Dictionary<string, string> { ["KUMA_DP_SERVER_TLS_ENABLED"] = "false" });
        await CreateMeshAsync(cp.Client);
        await PutAsync(cp.Client, $"/meshes/{Mesh}/dataplanes/web-1", Dataplane("web-1", "10.0.0.1", "web", transparent: true));
        await PutAsync(cp.Client, $"/meshes/{Mesh}/dataplanes/web-2", Dataplane("web-2", "10.0.0.2", "web", transparent: true));
        await PutAsync(cp.Client, $"/meshes/{Mesh}/dataplanes/backend-1", Dataplane("backend-1", "10.0.0.3", "backend"));

        var metadata = new Struct { Fields = { [ProxyNode.DnsPortKey] = Value.ForString("15054") } };
        await using var web1 = new AdsClient($"http://127.0.0.1:{cp.DpPort}", $"{Mesh}.web-1", await ControlPlane.DataplaneTokenAsync(cp.Client, Mesh, "web-1"), metadata);
        await using var web2 = new AdsClient($"http://127.0.0.1:{cp.DpPort}", $"{Mesh}.web-2", await ControlPlane.DataplaneTokenAsync(cp.Client, Mesh, "web-2"), metadata);
        var proxies = new[] { web1, web2 };
        // web was declared first (240.0.0.0), backend next (240.0.0.1).
        foreach (var proxy in proxies)
        {
            await proxy.SendAsync(TypeUrls.Listener);
            var first = await ListenersUntilAsync(proxy, names => names.Contains("outbound:240.0.0.1:80"));
            Assert.Equal(["outbound:240.0.0.0:80", "outbound:240.0.0.1:80"], first.Where(n => n.StartsWith("outbound:240.", StringComparison.Ordinal)));
        }

        var clock = Stopwatch.StartNew();
        await PutAsync(cp.Client, $"/meshes/{Mesh}/dataplanes/db-1", Dataplane("db-1", "10.0.0.4", "db"));
        foreach (var proxy in proxies)
        {
            var names = await ListenersUntilAsync(proxy, names => names.Contains("outbound:240.0.0.2:80"));
            Assert.Equal(["outbound:240.0.0.0:80", "outbound:240.0.0.1:80", "outbound:240.0.0.2:80"], names.Where(n => n.StartsWith("outbound:240.", StringComparison.Ordinal)));
            Assert.Equal(["backend.mesh", "db.mesh", "web.mesh"], _dnsNames[proxy]);
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the new service's outbound took {clock.Elapsed} to reach both proxies");
        // The record is the control plane's own: no API lists it.
        var dataplanes = JsonNode.Parse(await cp.Client.GetStringAsync($"/meshes/{Mesh}/dataplanes"))!;
        Assert.Equal(4, dataplanes["total"]!.GetValue<int>());
    }

    private readonly Dictionary<AdsClient, List<string>> _dnsNames = [];

    /// <summary>Acknowledges listener responses until one satisfies <paramref name="done"/>; returns its listener names.</summary>
    private async Task<List<string>> ListenersUntilAsync(AdsClient proxy, Func<List<string>, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            DiscoveryResponse response = await proxy.NextOfTypeAsync(TypeUrls.Listener, deadline - DateTime.UtcNow);
            await proxy.AckAsync(response);
            var listeners = response.Resources.Select(r => r.Unpack<Listener>()).ToList();
            var names = listeners.Select(l => l.Name).ToList();
            if (listeners.FirstOrDefault(l => l.Name == "kuma:dns") is { } dns)
                _dnsNames[proxy] = [.. dns.ListenerFilters[0].TypedConfig.Unpack<DnsFilterConfig>().ServerConfig.InlineDnsTable.VirtualDomains.Select(d => d.Name)];
            if (done(names)) return names;
        }
    }

    [Fact]
    public async Task Vips_survive_a_control_plane_restart_on_postgres_and_a_removed_services_vip_is_free_again()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("vipsrestart");
        List<string> before;
        await using (var cp = await ControlPlane.StartAsync(database))
        {
            await CreateMeshAsync(cp.Client);
            await PutAsync(cp.Client, $"/meshes/{Mesh}/dataplanes/web-1", Dataplane("web-1", "10.0.0.1", "web", transparent: true));
            await PutAsync(cp.Client, $"/meshes/{Mesh}/dataplanes/db-1", Dataplane("db-1", "10.0.0.2", "db"));
            await PutAsync(cp.Client, $"/meshes/{Mesh}/dataplanes/backend-1", Dataplane("backend-1", "10.0.0.3", "backend"));
            before = await VipOutboundsAsync(cp.Client, "web-1");
        }
        // web .0, db .1, backend .2: the order services appeared in, not their names.
        Assert.Equal(["outbound:240.0.0.0:80", "outbound:240.0.0.1:80", "outbound:240.0.0.2:80"], before);
        await using (var cp = await ControlPlane.StartAsync(database))
        {
            Assert.Equal(before, await VipOutboundsAsync(cp.Client, "web-1"));
            var config = JsonNode.Parse(await cp.Client.GetStringAsync($"/meshes/{Mesh}/dataplanes/web-1/_config"))!;
            var backendListener = config["xds"]!["type.googleapis.com/envoy.config.listener.v3.Listener"]!["outbound:240.0.0.2:80"]!;
            Assert.Equal("backend", backendListener["metadata"]!["filterMetadata"]!["io.kuma.tags"]!["kuma.io/service"]!.GetValue<string>());

            // As in Kuma, a service no dataplane declares loses its VIP, and the lowest free address goes to the next new one.
            using (var deleted = await cp.Client.DeleteAsync($"/meshes/{Mesh}/dataplanes/db-1")) Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
            Assert.Equal(["outbound:240.0.0.0:80", "outbound:240.0.0.2:80"], await VipOutboundsAsync(cp.Client, "web-1"));
            await PutAsync(cp.Client, $"/meshes/{Mesh}/dataplanes/cache-1", Dataplane("cache-1", "10.0.0.4", "cache"));
            Assert.Equal(["outbound:240.0.0.0:80", "outbound:240.0.0.1:80", "outbound:240.0.0.2:80"], await VipOutboundsAsync(cp.Client, "web-1"));
        }
        await using var connection = new Npgsql.NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var stored = new Npgsql.NpgsqlCommand("SELECT count(*) FROM kuma_resources WHERE type = 'Config' AND name = 'kuma-tp-dns-vips'", connection);
        Assert.Equal(1L, await stored.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Both_silos_of_a_cluster_show_the_same_vips_whichever_took_the_writes()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("vipstwo");
        await using var silos = await TwoSiloCluster.StartAsync(database, "vips");
        var viaSurvivor = silos.Survivor.Client;
        using var viaDoomed = new HttpClient { BaseAddress = new Uri(silos.Doomed.ApiAddress) };
        await CreateMeshAsync(viaDoomed);
        await PutAsync(viaSurvivor, $"/meshes/{Mesh}/dataplanes/web-1", Dataplane("web-1", "10.0.0.1", "web", transparent: true));
        await PutAsync(viaDoomed, $"/meshes/{Mesh}/dataplanes/backend-1", Dataplane("backend-1", "10.0.0.2", "backend"));
        await PutAsync(viaSurvivor, $"/meshes/{Mesh}/dataplanes/db-1", Dataplane("db-1", "10.0.0.3", "db"));
        await PutAsync(viaDoomed, $"/meshes/{Mesh}/dataplanes/web-2", Dataplane("web-2", "10.0.0.4", "web", transparent: true));
        List<string> expected = ["outbound:240.0.0.0:80", "outbound:240.0.0.1:80", "outbound:240.0.0.2:80"];
        foreach (var client in new[] { viaSurvivor, viaDoomed })
        {
            Assert.Equal(expected, await VipOutboundsAsync(client, "web-1"));
            Assert.Equal(expected, await VipOutboundsAsync(client, "web-2"));
        }
    }
}
