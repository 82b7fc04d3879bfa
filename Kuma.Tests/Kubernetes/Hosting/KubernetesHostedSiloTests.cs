using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Hosting.Kubernetes;

namespace Kuma.Tests.Kubernetes.Hosting;

/// <summary>
/// A silo started with KUMA_CLUSTER_KUBERNETES_HOSTING=true, as the k8s/ manifests start it, against an in-process API
/// server that serves its pod: it joins the PostgreSQL membership under its pod's name and IP, and labels its pod with
/// the KUMA_CLUSTER_* ids (not Orleans' own unset variables).
/// </summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class KubernetesHostedSiloTests
{
    private const string PodName = "kuma-silo-6f7b9-x2k4q";

    [Fact]
    public async Task The_silo_joins_under_its_pod_name_and_ip_and_labels_its_pod_with_the_cluster_ids()
    {
        await using var api = await FakePodApi.StartAsync("kuma-system", PodName, "kuma-silo-6f7b9-other");
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("k8shosted");
        // Orleans' Kubernetes hosting reads the pod from the process environment, as the downward API sets it.
        using var pod = new ProcessEnvironment(new Dictionary<string, string?>
        {
            ["POD_NAME"] = PodName,
            ["POD_NAMESPACE"] = "kuma-system",
            ["POD_IP"] = "127.0.0.1",
        });
        await using var silo = await ControlPlane.StartAsync(database, new Dictionary<string, string>
        {
            ["KUMA_CLUSTER_KUBERNETES_HOSTING"] = "true",
            ["KUMA_CLUSTER_ID"] = "k8s-hosted",
            ["KUMA_CLUSTER_SERVICE_ID"] = "kuma-cp-k8s",
        }, services => services.Configure<KubernetesHostingOptions>(o => o.GetClientConfiguration = () => new KubernetesClientConfiguration { Host = api.Url.ToString() }));

        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var members = new NpgsqlCommand("SELECT siloname, address, port, status FROM orleans_membership WHERE deploymentid = $1", connection)
        {
            Parameters = { new NpgsqlParameter { Value = "k8s-hosted" } },
        };
        var rows = new List<(string, string, int, int)>();
        await using (var reader = await members.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3)));
        }
        var siloPort = int.Parse(silo.Settings.GetString("KUMA_CLUSTER_SILO_PORT", ""), CultureInfo.InvariantCulture);
        Assert.Equal([(PodName, "127.0.0.1", siloPort, 3)], rows); // 3: active

        await Eventually.HoldsAsync(() => Task.FromResult(api.LabelsOf(PodName).Count > 0), TimeSpan.FromSeconds(30), "the silo labels its pod");
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["orleans/clusterId"] = "k8s-hosted", ["orleans/serviceId"] = "kuma-cp-k8s" }, api.LabelsOf(PodName)),
            api.LabelsOf(PodName).ToJsonString());
        // The other pod runs no silo of this cluster: it is only reported, never deleted.
        Assert.DoesNotContain(api.Requests, r => r.StartsWith("DELETE", StringComparison.Ordinal));
    }
}
