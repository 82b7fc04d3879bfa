using System.Text.RegularExpressions;
using k8s.Models;
using Kuma.Configuration;
using Kuma.Gateway.Api;
using Kuma.Gateway.Diagnostics;
using Kuma.Gateway.Dp;
using Kuma.Silo;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Kubernetes.Manifests;

/// <summary>
/// The control plane's manifests against the processes they run: the settings the containers get are ones the
/// product reads, and read through the product's own option classes they give the ports the probes and the Service use.
/// The dev kustomization is checked, as it is the one that carries every Secret the containers name.
/// </summary>
public sealed partial class ControlPlaneManifestTests
{
    private static readonly Dictionary<string, string> DownwardApi = new()
    {
        ["metadata.name"] = "kuma-silo-7d9f-abcde",
        ["metadata.namespace"] = "kuma-system",
        ["status.podIP"] = "10.244.1.7",
    };

    [Fact]
    public async Task Every_kuma_variable_a_container_gets_is_a_documented_setting()
    {
        var objects = await KubernetesManifests.BuildAsync("dev");
        var documented = ReadmeSettings();
        var undocumented = new List<string>();
        foreach (var deployment in objects.OfType<V1Deployment>())
        {
            foreach (var container in deployment.Spec.Template.Spec.Containers)
            {
                var names = KubernetesManifests.Environment(container, objects, DownwardApi).Keys.Where(k => k.StartsWith("KUMA_", StringComparison.Ordinal));
                undocumented.AddRange(names.Where(n => !documented.Contains(n)).Select(n => $"{deployment.Metadata.Name}/{container.Name}: {n}"));
            }
        }
        Assert.Equal([], undocumented);
    }

    [Fact]
    public async Task The_silos_start_as_kubernetes_hosted_silo_only_processes_on_postgres()
    {
        var objects = await KubernetesManifests.BuildAsync("dev");
        var template = KubernetesManifests.Single<V1Deployment>(objects, "kuma-silo").Spec.Template;
        var container = template.Spec.Containers.Single();
        var environment = KubernetesManifests.Environment(container, objects, DownwardApi);
        var settings = new KumaSettings(environment);

        Assert.Equal(ClusterRole.Silo, ClusterRoles.From(settings));
        var store = StoreOptions.From(settings);
        var cluster = KumaClusterOptions.From(settings);
        var pod = KubernetesHosting.From(settings, store, cluster, name => environment.GetValueOrDefault(name));
        Assert.Equal(new KubernetesSiloIdentity("kuma-silo-7d9f-abcde", "kuma-system", System.Net.IPAddress.Parse("10.244.1.7")), pod);
        // Orleans' hosting finds the cluster's pods by these labels; they must say what the settings say.
        Assert.Equal(cluster.ClusterId, template.Metadata.Labels["orleans/clusterId"]);
        Assert.Equal(cluster.ServiceId, template.Metadata.Labels["orleans/serviceId"]);
        Assert.Equal("kuma-control-plane", template.Spec.ServiceAccountName);
        Assert.Equal([cluster.SiloPort, cluster.GatewayPort, DiagnosticsOptions.From(settings).Port], container.Ports.Select(p => p.ContainerPort));
        AssertProbes(container, settings);
    }

    [Fact]
    public async Task The_gateways_serve_the_service_ports_on_every_address()
    {
        var objects = await KubernetesManifests.BuildAsync("dev");
        var container = KubernetesManifests.Single<V1Deployment>(objects, "kuma-gateway").Spec.Template.Spec.Containers.Single();
        var settings = new KumaSettings(KubernetesManifests.Environment(container, objects, DownwardApi));
        var api = ApiOptions.From(settings);
        var dp = DpServerOptions.From(settings);
        Assert.Equal(StoreType.Postgres, StoreOptions.From(settings).Type);
        Assert.Equal(("0.0.0.0", "0.0.0.0", "0.0.0.0", true), (api.Interface, api.HttpsInterface, dp.Interface, api.HttpsEnabled));

        var service = KubernetesManifests.Single<V1Service>(objects, "kuma-control-plane");
        Assert.Equal(new Dictionary<string, string> { ["app.kubernetes.io/name"] = "kuma-gateway" }, service.Spec.Selector);
        var ports = service.Spec.Ports.Select(p => (p.Name, p.Port, KubernetesManifests.PortOf(container, p.TargetPort)));
        Assert.Equal([("api-http", api.Port, api.Port), ("api-https", api.HttpsPort, api.HttpsPort), ("dp-server", dp.Port, dp.Port)], ports);
        AssertProbes(container, settings);
    }

    [Fact]
    public async Task The_disruption_budgets_select_the_deployments_pods()
    {
        var objects = await KubernetesManifests.BuildAsync("");
        foreach (var name in new[] { "kuma-silo", "kuma-gateway" })
        {
            var budget = KubernetesManifests.Single<V1PodDisruptionBudget>(objects, name);
            var deployment = KubernetesManifests.Single<V1Deployment>(objects, name);
            Assert.Equal(deployment.Spec.Selector.MatchLabels, budget.Spec.Selector.MatchLabels);
            Assert.Equal("1", budget.Spec.MaxUnavailable.Value);
            Assert.True(deployment.Spec.Replicas > 1, $"{name}: a budget of one unavailable pod needs more than one replica");
        }
    }

    [Fact]
    public async Task The_containers_run_as_non_root_on_a_read_only_root_with_memory_sized()
    {
        var objects = await KubernetesManifests.BuildAsync("");
        foreach (var deployment in objects.OfType<V1Deployment>())
        {
            var pod = deployment.Spec.Template.Spec;
            Assert.True(pod.SecurityContext.RunAsNonRoot, deployment.Metadata.Name);
            foreach (var container in pod.Containers)
            {
                Assert.Equal((true, false), (container.SecurityContext.ReadOnlyRootFilesystem, container.SecurityContext.AllowPrivilegeEscalation));
                Assert.Equal(["ALL"], container.SecurityContext.Capabilities.Drop);
                Assert.Equal("kuma-orleans/control-plane:0.1.0", container.Image);
                Assert.True(container.Resources.Requests["memory"].ToInt64() <= container.Resources.Limits["memory"].ToInt64(), deployment.Metadata.Name);
                Assert.Contains(container.VolumeMounts, m => m.MountPath == "/tmp");
            }
        }
    }

    private static void AssertProbes(V1Container container, KumaSettings settings)
    {
        var diagnostics = DiagnosticsOptions.From(settings);
        Assert.NotEqual("127.0.0.1", diagnostics.Interface);
        var probes = new[] { ("startup", container.StartupProbe), ("liveness", container.LivenessProbe), ("readiness", container.ReadinessProbe) }
            .Select(p => (p.Item1, p.Item2.HttpGet.Path, KubernetesManifests.PortOf(container, p.Item2.HttpGet.Port)));
        Assert.Equal([("startup", "/healthy", diagnostics.Port), ("liveness", "/healthy", diagnostics.Port), ("readiness", "/ready", diagnostics.Port)], probes);
    }

    /// <summary>
    /// The first column of README's configuration table. A row names one variable in full and may add siblings by
    /// their ending (<c>`KUMA_STORE_POSTGRES_HOST` / `_PORT`</c>): a sibling is the full name's leading words plus that ending.
    /// </summary>
    private static HashSet<string> ReadmeSettings()
    {
        var lines = File.ReadAllLines(Path.Combine(NodeProcess.RepositoryRoot(), "README.md"));
        var table = lines.SkipWhile(l => l != "## Configuration").Skip(1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in table.Where(l => l.StartsWith("| `KUMA_", StringComparison.Ordinal)))
        {
            var tokens = Backticked().Matches(row.Split('|')[1]).Select(m => m.Groups[1].Value).ToList();
            var full = tokens.Where(t => t.StartsWith("KUMA_", StringComparison.Ordinal)).ToList();
            names.UnionWith(full);
            foreach (var ending in tokens.Where(t => t.StartsWith('_')))
            {
                foreach (var name in full)
                {
                    for (var cut = name.IndexOf('_', 5); cut > 0; cut = name.IndexOf('_', cut + 1)) names.Add(name[..cut] + ending);
                }
            }
        }
        Assert.Contains("KUMA_STORE_POSTGRES_PASSWORD", names);
        return names;
    }

    [GeneratedRegex("`(_?[A-Z][A-Z0-9_]*)`")]
    private static partial Regex Backticked();
}
