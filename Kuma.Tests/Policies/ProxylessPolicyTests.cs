using Kuma.Testing;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Policies;

/// <summary>
/// Policies shape what real proxyless gRPC clients (npm @grpc/grpc-js-xds) do: each policy's effect is seen
/// in the calls themselves, and deleting the policy restores plain behaviour.
/// </summary>
public sealed class ProxylessPolicyTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>
{
    private const int DeadlineExceeded = 4;
    private const int Unavailable = 14;

    private ControlPlane Cp => fixture.ControlPlane;

    [Fact]
    public async Task MeshTimeout_ends_slow_calls_at_the_configured_time_and_deleting_it_lets_them_finish()
    {
        using var api = Cp.NewClient(await Cp.CreateTenantAsync("timeout-e2e"));
        await GrpcCalls.PutAsync(api, "/meshes/m1", """{"type":"Mesh","name":"m1"}""");
        var port = FreePort.Next();
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/slow-1", Backend("m1", "slow-1", "slow", port));
        await using var backend = await GrpcCalls.StartBackendAsync("slow-1", port, "--delay-ms", "1500");
        await using var caller = Client("m1", "caller", await ControlPlane.DataplaneTokenAsync(api, "m1", "caller"), "slow", deadlineMs: 5000);

        // The mesh's default MeshTimeout allows 15 s: the 1.5 s calls complete.
        await caller.ReadUntilAsync(line => line["server"] is not null, TimeSpan.FromSeconds(30));

        await GrpcCalls.PutAsync(api, "/meshes/m1/meshtimeouts/slow-calls", """
            {"type":"MeshTimeout","mesh":"m1","name":"slow-calls","spec":{
              "targetRef":{"kind":"Dataplane","name":"caller"},
              "to":[{"targetRef":{"kind":"MeshService","name":"slow"},"default":{"http":{"requestTimeout":"400ms"}}}]}}
            """);
        var cut = await GrpcCalls.ConsecutiveAsync(caller, 3, line => line["error"]?.GetValue<int>() == DeadlineExceeded);
        Assert.All(cut, line => Assert.InRange(line["ms"]!.GetValue<int>(), 350, 1200));

        Assert.Equal(HttpStatusCode.OK, (await api.DeleteAsync("/meshes/m1/meshtimeouts/slow-calls")).StatusCode);
        var finished = await GrpcCalls.ConsecutiveAsync(caller, 2, line => line["server"] is not null);
        Assert.All(finished, line => Assert.InRange(line["ms"]!.GetValue<int>(), 1400, 4000));
    }

    [Fact]
    public async Task MeshRetry_turns_a_flaky_backend_into_all_successes_and_deleting_it_brings_the_failures_back()
    {
        using var api = Cp.NewClient(await Cp.CreateTenantAsync("retry-e2e"));
        // Without the mesh's default MeshRetry, so the flakiness shows until a policy says otherwise.
        await GrpcCalls.PutAsync(api, "/meshes/m1", """{"type":"Mesh","name":"m1","skipCreatingInitialPolicies":["MeshRetry"]}""");
        var port = FreePort.Next();
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/flaky-1", Backend("m1", "flaky-1", "flaky", port));
        await using var backend = await GrpcCalls.StartBackendAsync("flaky-1", port, "--fail-every", "2");
        await using var caller = Client("m1", "caller", await ControlPlane.DataplaneTokenAsync(api, "m1", "caller"), "flaky");

        await caller.ReadUntilAsync(line => line["error"]?.GetValue<int>() == Unavailable, TimeSpan.FromSeconds(30));

        await GrpcCalls.PutAsync(api, "/meshes/m1/meshretries/retry-flaky", """
            {"type":"MeshRetry","mesh":"m1","name":"retry-flaky","spec":{
              "targetRef":{"kind":"Mesh"},
              "to":[{"targetRef":{"kind":"MeshService","name":"flaky"},"default":{"grpc":{"numRetries":3,"retryOn":["Unavailable"]}}}]}}
            """);
        await GrpcCalls.ConsecutiveAsync(caller, 40, line => line["server"] is not null);

        Assert.Equal(HttpStatusCode.OK, (await api.DeleteAsync("/meshes/m1/meshretries/retry-flaky")).StatusCode);
        await caller.ReadUntilAsync(line => line["error"]?.GetValue<int>() == Unavailable, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task MeshFaultInjection_at_a_proxyless_destination_aborts_about_half_of_the_calls_at_the_caller()
    {
        using var api = Cp.NewClient(await Cp.CreateTenantAsync("fault-e2e"));
        await GrpcCalls.PutAsync(api, "/meshes/m1", """{"type":"Mesh","name":"m1"}""");
        var port = FreePort.Next();
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/backend-1", Backend("m1", "backend-1", "backend", port));
        await using var backend = await GrpcCalls.StartBackendAsync("backend-1", port);
        await using var caller = Client("m1", "caller", await ControlPlane.DataplaneTokenAsync(api, "m1", "caller"), "backend", intervalMs: 5);
        await caller.ReadUntilAsync(line => line["server"] is not null, TimeSpan.FromSeconds(30));

        await GrpcCalls.PutAsync(api, "/meshes/m1/meshfaultinjections/half-fail", """
            {"type":"MeshFaultInjection","mesh":"m1","name":"half-fail","spec":{
              "targetRef":{"kind":"MeshService","name":"backend"},
              "from":[{"targetRef":{"kind":"Mesh"},"default":{"http":[{"abort":{"httpStatus":503,"percentage":50}}]}}]}}
            """);
        await caller.ReadUntilAsync(line => line["error"] is not null, TimeSpan.FromSeconds(30));
        var calls = new List<JsonNode>();
        await caller.ReadUntilAsync(line =>
        {
            if (line["t"] is not null) calls.Add(line);
            return calls.Count >= 400;
        }, TimeSpan.FromSeconds(60));
        var errors = calls.Count(l => l["error"] is not null);
        Assert.InRange(errors, 140, 260);
        Assert.All(calls.Where(l => l["error"] is not null), l => Assert.Equal(Unavailable, l["error"]!.GetValue<int>()));

        Assert.Equal(HttpStatusCode.OK, (await api.DeleteAsync("/meshes/m1/meshfaultinjections/half-fail")).StatusCode);
        await GrpcCalls.ConsecutiveAsync(caller, 50, line => line["server"] is not null);
    }

    [Fact]
    public async Task MeshHTTPRoute_splits_calls_80_20_across_version_subsets_and_deleting_it_restores_round_robin()
    {
        using var api = Cp.NewClient(await Cp.CreateTenantAsync("route-e2e"));
        await GrpcCalls.PutAsync(api, "/meshes/m1", """{"type":"Mesh","name":"m1"}""");
        var (p1, p2) = (FreePort.Next(), FreePort.Next());
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/backend-v1", Backend("m1", "backend-v1", "backend", p1, version: "v1"));
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/backend-v2", Backend("m1", "backend-v2", "backend", p2, version: "v2"));
        await using var v1 = await GrpcCalls.StartBackendAsync("v1", p1);
        await using var v2 = await GrpcCalls.StartBackendAsync("v2", p2);
        await using var caller = Client("m1", "caller", await ControlPlane.DataplaneTokenAsync(api, "m1", "caller"), "backend", intervalMs: 2);
        await caller.ReadUntilAsync(line => line["server"]?.GetValue<string>() == "v2", TimeSpan.FromSeconds(30));

        // Each change is seen in the calls: all-to-v1 by a long run of v1 (1 in 10^9 under an even split), then
        // the split by its first v2, so counting starts exactly when the client took the split.
        await GrpcCalls.PutAsync(api, "/meshes/m1/meshhttproutes/split", Split(100, 0));
        await GrpcCalls.ConsecutiveAsync(caller, 30, line => line["server"]?.GetValue<string>() == "v1");
        await GrpcCalls.PutAsync(api, "/meshes/m1/meshhttproutes/split", Split(80, 20));
        await caller.ReadUntilAsync(line => line["server"]?.GetValue<string>() == "v2", TimeSpan.FromSeconds(30));
        var split = await GrpcCalls.AnswersAsync(caller, 500);
        Assert.InRange(split.Count(s => s == "v1"), 350, 450);

        await GrpcCalls.PutAsync(api, "/meshes/m1/meshhttproutes/split", Split(100, 0));
        await GrpcCalls.ConsecutiveAsync(caller, 30, line => line["server"]?.GetValue<string>() == "v1");
        Assert.Equal(HttpStatusCode.OK, (await api.DeleteAsync("/meshes/m1/meshhttproutes/split")).StatusCode);
        await caller.ReadUntilAsync(line => line["server"]?.GetValue<string>() == "v2", TimeSpan.FromSeconds(30));
        var plain = await GrpcCalls.AnswersAsync(caller, 300);
        Assert.InRange(plain.Count(s => s == "v1"), 105, 195);
    }

    [Fact]
    public async Task Overview_lists_what_a_real_client_does_not_get_and_config_shows_what_it_subscribed_to()
    {
        using var api = Cp.NewClient(await Cp.CreateTenantAsync("inspect-e2e"));
        // Without Kuma's default policies, so the list holds exactly what the two policies below cannot do.
        await GrpcCalls.PutAsync(api, "/meshes/m1", """{"type":"Mesh","name":"m1","skipCreatingInitialPolicies":["*"]}""");
        var port = FreePort.Next();
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/backend-1", Backend("m1", "backend-1", "backend", port));
        await GrpcCalls.PutAsync(api, "/meshes/m1/meshtimeouts/backend-timeouts", """
            {"type":"MeshTimeout","mesh":"m1","name":"backend-timeouts","spec":{"targetRef":{"kind":"Mesh"},
              "to":[{"targetRef":{"kind":"MeshService","name":"backend"},"default":{"idleTimeout":"10m","http":{"requestTimeout":"5s"}}}]}}
            """);
        await GrpcCalls.PutAsync(api, "/meshes/m1/meshhttproutes/tag-calls", """
            {"type":"MeshHTTPRoute","mesh":"m1","name":"tag-calls","spec":{"targetRef":{"kind":"Mesh"},
              "to":[{"targetRef":{"kind":"MeshService","name":"backend"},"rules":[{"matches":[{"path":{"type":"PathPrefix","value":"/"}}],
                "default":{"filters":[{"type":"RequestHeaderModifier","requestHeaderModifier":{"set":[{"name":"x-tagged","value":"yes"}]}}]}}]}]}}
            """);
        await using var backend = await GrpcCalls.StartBackendAsync("backend-1", port);
        await using var caller = Client("m1", "caller", await ControlPlane.DataplaneTokenAsync(api, "m1", "caller"), "backend");
        await caller.ReadUntilAsync(line => line["server"] is not null, TimeSpan.FromSeconds(30));

        JsonNode? overview = null;
        await Eventually.HoldsAsync(async () =>
        {
            overview = JsonNode.Parse(await api.GetStringAsync("/meshes/m1/dataplanes/caller/_overview"));
            return overview?["policiesNotApplied"] is JsonArray { Count: > 0 };
        }, TimeSpan.FromSeconds(30), "the caller's overview lists what it does not get");
        Assert.True(overview!["dataplaneInsight"]!["connected"]!.GetValue<bool>());
        var notApplied = overview["policiesNotApplied"]!.AsArray();
        Assert.Equal(
            ["MeshHTTPRoute backend to[].rules[].default.filters[].requestHeaderModifier tag-calls", "MeshTimeout backend to[].default.idleTimeout backend-timeouts"],
            notApplied.Select(n => $"{n!["type"]} {n["service"]} {n["field"]} {string.Join(',', n["policies"]!.AsArray().Select(p => (string)p!))}"));
        Assert.All(notApplied, n => Assert.False(string.IsNullOrWhiteSpace((string?)n!["reason"])));

        // _config: the API listener, cluster and endpoints the client asked for by name, not a sidecar's listeners.
        // The subscriptions reach the session grain in insight batches, off the stream path: wait for all three.
        static List<string?> Names(JsonNode? resources, string key) => [.. resources!.AsArray().Select(r => (string?)r![key])];
        JsonNode config = new JsonObject();
        await Eventually.HoldsAsync(async () =>
        {
            config = JsonNode.Parse(await api.GetStringAsync("/meshes/m1/dataplanes/caller/_config?format=dump"))!;
            // Each type's subscription may come in a batch of its own.
            return config["listeners"] is JsonArray { Count: > 0 } && config["clusters"] is JsonArray { Count: > 0 } && config["endpoints"] is JsonArray { Count: > 0 };
        }, TimeSpan.FromSeconds(30), "the caller's config shows its subscribed listener, cluster and endpoints");
        Assert.Equal(["backend"], Names(config["listeners"], "name"));
        Assert.NotNull(config["listeners"]![0]!["apiListener"]);
        Assert.Equal(["backend"], Names(config["clusters"], "name"));
        Assert.Equal(["backend"], Names(config["endpoints"], "clusterName"));
    }

    private static string Split(int v1, int v2) => $$$"""
        {"type":"MeshHTTPRoute","mesh":"m1","name":"split","spec":{
          "targetRef":{"kind":"Mesh"},
          "to":[{"targetRef":{"kind":"MeshService","name":"backend"},
            "rules":[{"matches":[{"path":{"type":"PathPrefix","value":"/"}}],
              "default":{"backendRefs":[
                {"kind":"MeshServiceSubset","name":"backend","tags":{"version":"v1"},"weight":{{{v1}}}},
                {"kind":"MeshServiceSubset","name":"backend","tags":{"version":"v2"},"weight":{{{v2}}}}]}}]}]}}
        """;

    private static string Backend(string mesh, string name, string service, int port, string version = "v1") => $$$"""
        {"type":"Dataplane","mesh":"{{{mesh}}}","name":"{{{name}}}","labels":{"kuma.io/proxy-type":"proxyless"},"networking":{"address":"127.0.0.1",
         "inbound":[{"port":{{{port}}},"tags":{"kuma.io/service":"{{{service}}}","kuma.io/protocol":"grpc","version":"{{{version}}}"}}]}}
        """;

    private NodeProcess Client(string mesh, string name, string token, string target, int deadlineMs = 2000, int intervalMs = 20) =>
        GrpcCalls.StartClient(Cp.DpPort, mesh, name, token,
            [target, intervalMs.ToString(CultureInfo.InvariantCulture), deadlineMs.ToString(CultureInfo.InvariantCulture)]);
}
