using System.Diagnostics;
using System.Text.Json.Nodes;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.StrictClient;

/// <summary>
/// gRPC C-core (Debian's python3-grpcio, stricter than grpc-js about what it accepts) as a proxyless caller of a live
/// control plane: it accepts every listener, cluster and endpoint set it gets (no rejection in its insight) and its
/// calls follow the policies that reach proxyless config: a MeshHTTPRoute header match to version subsets, a MeshRetry
/// that hides a flaky backend's failures, a MeshTimeout that cuts slow calls; mTLS is off.
/// </summary>
public sealed class StrictClientTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>
{
    private const int DeadlineExceeded = 4;
    private static readonly string[] Versions = ["v1", "v2"];
    private static readonly string[] ConfigTypes = ["lds", "cds", "eds"];

    private ControlPlane Cp => fixture.ControlPlane;

    [Fact]
    public async Task C_core_accepts_the_config_and_its_calls_follow_route_retry_and_timeout_policies()
    {
        await AssertGrpcioInstalledAsync();
        using var api = Cp.NewClient(await Cp.CreateTenantAsync("strict-e2e"));
        await GrpcCalls.PutAsync(api, "/meshes/m1", """{"type":"Mesh","name":"m1"}""");
        var (p1, p2, p3) = (FreePort.Next(), FreePort.Next(), FreePort.Next());
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/backend-v1", Backend("backend-v1", "backend", p1, "v1"));
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/backend-v2", Backend("backend-v2", "backend", p2, "v2"));
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/slow-1", Backend("slow-1", "slow", p3, "v1"));
        await GrpcCalls.PutAsync(api, "/meshes/m1/meshhttproutes/by-version", """
            {"type":"MeshHTTPRoute","mesh":"m1","name":"by-version","spec":{"targetRef":{"kind":"Mesh"},
              "to":[{"targetRef":{"kind":"MeshService","name":"backend"},"rules":[
                {"matches":[{"path":{"type":"PathPrefix","value":"/"},"headers":[{"type":"Exact","name":"x-version","value":"v2"}]}],
                 "default":{"backendRefs":[{"kind":"MeshServiceSubset","name":"backend","tags":{"version":"v2"}}]}},
                {"matches":[{"path":{"type":"PathPrefix","value":"/"}}],
                 "default":{"backendRefs":[{"kind":"MeshServiceSubset","name":"backend","tags":{"version":"v1"}}]}}]}]}}
            """);
        await GrpcCalls.PutAsync(api, "/meshes/m1/meshretries/retry-backend", """
            {"type":"MeshRetry","mesh":"m1","name":"retry-backend","spec":{"targetRef":{"kind":"Mesh"},
              "to":[{"targetRef":{"kind":"MeshService","name":"backend"},"default":{"grpc":{"numRetries":3,"retryOn":["Unavailable"]}}}]}}
            """);
        await GrpcCalls.PutAsync(api, "/meshes/m1/meshtimeouts/slow-calls", """
            {"type":"MeshTimeout","mesh":"m1","name":"slow-calls","spec":{"targetRef":{"kind":"Mesh"},
              "to":[{"targetRef":{"kind":"MeshService","name":"slow"},"default":{"http":{"requestTimeout":"400ms"}}}]}}
            """);
        // Kuma orders a match with a path before one without, so the header rule names the same path to come first.
        // v1 fails every second call: only the retry policy makes all of its answers successes.
        await using var v1 = await GrpcCalls.StartBackendAsync("v1", p1, "--fail-every", "2");
        await using var v2 = await GrpcCalls.StartBackendAsync("v2", p2);
        await using var slow = await GrpcCalls.StartBackendAsync("slow-1", p3, "--delay-ms", "1500");

        await using var caller = StrictClientProcess.Start(Cp.DpPort, "m1", "caller", await ControlPlane.DataplaneTokenAsync(api, "m1", "caller"), "backend",
            header: "x-version", values: Versions);
        await using var slowCaller = StrictClientProcess.Start(Cp.DpPort, "m1", "slow-caller", await ControlPlane.DataplaneTokenAsync(api, "m1", "slow-caller"), "slow",
            deadlineMs: 5000);

        // Each call goes to the version its header names (the route), and none fails (the retries).
        await caller.ReadUntilAsync(line => line["server"] is not null, TimeSpan.FromSeconds(30));
        var routed = await caller.ConsecutiveAsync(40, line => line["server"] is { } server && server.GetValue<string>() == line["key"]!.GetValue<string>(),
            TimeSpan.FromSeconds(30));
        Assert.Equal(20, routed.Count(l => l["server"]!.GetValue<string>() == "v2"));

        // The slow service's calls end with DEADLINE_EXCEEDED, never an answer (it answers after 1.5 s), and before the
        // caller's own 5 s deadline: the policy's 400 ms max_stream_duration reached C-core. Unlike grpc-js, which cuts
        // each call at 400 ms, C-core 1.51 lets the first call run about 1.8 s and then fails the next ones at once; the
        // bound below holds for both.
        var cut = await slowCaller.ConsecutiveAsync(5, line => line["error"]?.GetValue<int>() == DeadlineExceeded, TimeSpan.FromSeconds(30));
        var slowConfig = await api.GetStringAsync("/meshes/m1/dataplanes/slow-caller/_config");
        Assert.True(cut.All(line => line["ms"]!.GetValue<int>() < 2500), $"calls cut at {string.Join(", ", cut.Select(l => l.ToJsonString()))}; config: {slowConfig}");
        Assert.Contains("\"maxStreamDuration\":{\"maxStreamDuration\":\"0.400s\"}", slowConfig, StringComparison.Ordinal);

        await AssertNothingRejectedAsync(api, "caller");
        await AssertNothingRejectedAsync(api, "slow-caller");

        // Kuma's shape of _config shows what C-core subscribed to: the listener named after the service.
        var config = JsonNode.Parse(await api.GetStringAsync("/meshes/m1/dataplanes/caller/_config"))!["xds"]!;
        Assert.Equal(["backend"], config[TypeUrls.Listener]!.AsObject().Select(l => l.Key));
    }

    /// <summary>Each xDS type the client asked for was acknowledged and none was ever rejected (with C-core's text if one was).</summary>
    private static async Task AssertNothingRejectedAsync(HttpClient api, string name)
    {
        JsonNode status = new JsonObject();
        await Eventually.HoldsAsync(async () =>
        {
            var overview = JsonNode.Parse(await api.GetStringAsync($"/meshes/m1/dataplanes/{name}/_overview"))!;
            status = overview["dataplaneInsight"]!["subscriptions"]!.AsArray().LastOrDefault()?["status"] ?? new JsonObject();
            return ConfigTypes.All(t => status[t]?["responsesAcknowledged"] is { } acked && acked.GetValue<string>() != "0")
                || status["total"]?["responsesRejected"]?.GetValue<string>() is { } rejected && rejected != "0";
        }, TimeSpan.FromSeconds(30), $"{name}'s insight shows its listeners, clusters and endpoints acknowledged");
        Assert.True(status["total"]!["responsesRejected"]!.GetValue<string>() == "0", $"{name} rejected config: {status.ToJsonString()}");
        // Routes come inline in the listener; the client has nothing else to ask for.
        Assert.Equal(["cds", "eds", "lastUpdateTime", "lds", "total"], status.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    /// <summary>Fails (never skips) when the strict client cannot run: .ci/run installs python3-grpcio.</summary>
    private static async Task AssertGrpcioInstalledAsync()
    {
        var check = new ProcessStartInfo(StrictClientProcess.Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        check.ArgumentList.Add("-c");
        check.ArgumentList.Add("import grpc; print(grpc.__version__)");
        int exitCode;
        try
        {
            using var process = Process.Start(check)!;
            await process.WaitForExitAsync();
            exitCode = process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            exitCode = -1;
        }
        Assert.True(exitCode == 0,
            $"{StrictClientProcess.Python} cannot import grpc: the strict-client test needs Debian's python3-grpcio, which .ci/run installs (apt-get install -y python3-grpcio)");
    }

    private static string Backend(string name, string service, int port, string version) => $$$"""
        {"type":"Dataplane","mesh":"m1","name":"{{{name}}}","labels":{"kuma.io/proxy-type":"proxyless"},"networking":{"address":"127.0.0.1",
         "inbound":[{"port":{{{port}}},"tags":{"kuma.io/service":"{{{service}}}","kuma.io/protocol":"grpc","version":"{{{version}}}"}}]}}
        """;
}
