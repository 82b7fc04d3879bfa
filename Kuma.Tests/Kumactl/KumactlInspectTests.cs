using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Xds;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Kumactl;

/// <summary><c>kumactl inspect</c> against a live control plane with one proxy connected over ADS and one never connected.</summary>
public sealed class KumactlInspectTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>
{
    private ControlPlane Cp => fixture.ControlPlane;

    private const string Shop = """
        type: Mesh
        name: shop
        ---
        type: Dataplane
        mesh: shop
        name: web
        networking:
          address: 10.0.0.1
          inbound:
          - port: 8080
            servicePort: 80
            tags:
              kuma.io/service: web
          outbound:
          - port: 10001
            tags:
              kuma.io/service: backend
        ---
        type: Dataplane
        mesh: shop
        name: backend
        networking:
          address: 10.0.0.2
          inbound:
          - port: 9090
            tags:
              kuma.io/service: backend
        ---
        type: MeshTimeout
        mesh: shop
        name: timeout-web
        spec:
          targetRef:
            kind: Dataplane
            name: web
          to:
          - targetRef:
              kind: Mesh
            default:
              connectionTimeout: 3s
        """;

    [Fact]
    public async Task Inspect_shows_connection_state_rejections_policies_and_config()
    {
        using var session = await KumactlSession.ForNewTenantAsync(Cp, "kctl-inspect");
        Assert.Equal(0, (await session.RunAsync("apply", "-f", session.WriteFile("shop.yaml", Shop))).ExitCode);
        var token = await session.RunAsync("generate", "dataplane-token", "--name", "web", "--mesh", "shop", "--valid-for", "1h");
        Assert.Equal(0, token.ExitCode);

        // web connects, takes its listeners and rejects them with an error the operator must see.
        await using var ads = new AdsClient(fixture.DpAddress, "shop.web", token.Out);
        await ads.SendAsync(TypeUrls.Listener);
        var listeners = await ads.NextOfTypeAsync(TypeUrls.Listener);
        await ads.SendAsync(TypeUrls.Listener, version: "", nonce: listeners.Nonce, error: "port 8080 already in use");

        KumactlResult dataplanes = default!;
        await Eventually.HoldsAsync(async () => (dataplanes = await session.RunAsync("inspect", "dataplanes", "--mesh", "shop")).Out.Contains("already in use", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the rejection reaches the insight");
        Assert.Equal((0, ""), (dataplanes.ExitCode, dataplanes.Err));
        var rows = TableRows(dataplanes.Out);
        Assert.Equal(["MESH", "NAME", "TAGS", "STATUS"], rows[0].Take(4));
        var byName = rows.Skip(1).ToDictionary(r => r[1]);
        Assert.Equal(["backend", "web"], byName.Keys.Order());
        Assert.Equal(["shop", "backend", "kuma.io/service=backend", "Offline", "never", "never", "0", "0"], byName["backend"].Take(8));
        Assert.Equal(["shop", "web", "kuma.io/service=web", "Online"], byName["web"].Take(4));
        Assert.Equal("1", byName["web"][6]);
        Assert.Equal("1", byName["web"][7]);
        Assert.EndsWith($"LDS rejected {listeners.VersionInfo}: port 8080 already in use", dataplanes.Out.Split('\n')[2..].First(l => l.Contains("web", StringComparison.Ordinal)).TrimEnd(), StringComparison.Ordinal);

        var asJson = JsonNode.Parse((await session.RunAsync("inspect", "dataplanes", "--mesh", "shop", "--tag", "kuma.io/service=web", "-o", "json")).Out)!;
        Assert.Equal(1, asJson["total"]!.GetValue<int>());
        Assert.Equal("web", asJson["items"]![0]!["name"]!.GetValue<string>());

        var policies = await session.RunAsync("inspect", "dataplane", "web", "--mesh", "shop");
        Assert.Equal(0, policies.ExitCode);
        Assert.Contains("MeshTimeout\n  mesh-timeout-all-shop\n  timeout-web\n", policies.Out, StringComparison.Ordinal);
        var otherPolicies = await session.RunAsync("inspect", "dataplane", "backend", "--mesh", "shop");
        Assert.DoesNotContain("timeout-web", otherPolicies.Out, StringComparison.Ordinal);

        var config = await session.RunAsync("inspect", "dataplane", "web", "--mesh", "shop", "--type", "config");
        Assert.Equal(0, config.ExitCode);
        Assert.Contains("\"inbound:10.0.0.1:8080\"", config.Out, StringComparison.Ordinal);
        var rules = JsonNode.Parse((await session.RunAsync("inspect", "dataplane", "web", "--mesh", "shop", "--type", "rules")).Out)!;
        Assert.Contains((rules["rules"] as JsonArray)!, r => r!["type"]!.GetValue<string>() == "MeshTimeout");

        Assert.Equal(new KumactlResult(1, "", "Error: Dataplane nobody is not found in mesh shop\n"),
            await session.RunAsync("inspect", "dataplane", "nobody", "--mesh", "shop"));
    }

    [Fact]
    public async Task Inspect_shows_meshes_services_and_what_a_policy_selects()
    {
        using var session = await KumactlSession.ForNewTenantAsync(Cp, "kctl-inspect2");
        Assert.Equal(0, (await session.RunAsync("apply", "-f", session.WriteFile("shop.yaml", Shop))).ExitCode);

        var meshes = TableRows((await session.RunAsync("inspect", "meshes")).Out);
        Assert.Equal(["MESH", "DATAPLANES", "POLICIES"], meshes[0]);
        var shop = meshes.Single(r => r[0] == "shop");
        Assert.Equal("0/2", shop[1]);
        Assert.Contains("MeshTimeout=", shop[2], StringComparison.Ordinal);

        Assert.Equal(
            [["SERVICE", "STATUS", "DATAPLANES"], ["backend", "Offline", "0/1"], ["web", "Offline", "0/1"]],
            TableRows((await session.RunAsync("inspect", "services", "--mesh", "shop")).Out).OrderBy(r => r[0] == "SERVICE" ? "" : r[0], StringComparer.Ordinal));

        Assert.Equal(new KumactlResult(0, """
            TYPE        MESH   NAME
            Dataplane   shop   web

            Total: 1

            """.Replace("\r", "", StringComparison.Ordinal), ""), Normalise(await session.RunAsync("inspect", "meshtimeout", "timeout-web", "--mesh", "shop")));
        var missing = await session.RunAsync("inspect", "meshtimeout", "nothing", "--mesh", "shop");
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("Error: failed to inspect nothing", missing.Err, StringComparison.Ordinal);
    }

    /// <summary>A table's lines split on runs of two or more spaces (kumactl's column gap), blank lines dropped.</summary>
    private static List<string[]> TableRows(string table) =>
        [.. table.Split('\n').Where(l => l.Trim().Length > 0).Select(l => System.Text.RegularExpressions.Regex.Split(l.TrimEnd(), " {2,}"))];

    private static KumactlResult Normalise(KumactlResult result) => result with { Out = string.Join('\n', result.Out.Split('\n').Select(l => l.TrimEnd())) };
}
