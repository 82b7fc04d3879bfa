using Kuma.ClusterAgent.Hosting;
using k8s.Models;

namespace Kuma.Tests.Kubernetes.Manifests;

/// <summary>k8s/cluster-agent against the agent's contract: its settings, its webhook's address, and what it may touch.</summary>
public sealed class ClusterAgentManifestTests
{
    /// <summary>Every variable the agent reads: the constants of its options class.</summary>
    private static readonly HashSet<string> AgentSettings = [.. typeof(AgentOptions)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.IsLiteral && f.Name.EndsWith("Variable", StringComparison.Ordinal))
        .Select(f => (string)f.GetRawConstantValue()!)];

    private static readonly Dictionary<string, string> DownwardApi = new()
    {
        ["metadata.name"] = "kuma-cluster-agent-5c7d-xyz12",
        ["metadata.namespace"] = "kuma-system",
        ["status.podIP"] = "10.0.3.4",
    };

    [Fact]
    public async Task The_agent_gets_exactly_its_required_settings_with_the_token_from_its_secret()
    {
        var objects = await KubernetesManifests.BuildAsync("cluster-agent");
        var container = KubernetesManifests.Single<V1Deployment>(objects, "kuma-cluster-agent").Spec.Template.Spec.Containers.Single();
        var environment = KubernetesManifests.Environment(container, objects, DownwardApi);

        Assert.Equal([], environment.Keys.Where(k => !AgentSettings.Contains(k)));
        Assert.Equal(
            ["KUMA_AGENT_CONTROL_PLANE_URL", "KUMA_AGENT_DP_SERVER_URL", "KUMA_AGENT_NAMESPACE", "KUMA_AGENT_TOKEN", "KUMA_AGENT_WEBHOOK_PORT", "KUMA_AGENT_ZONE"],
            environment.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("(secret kuma-cluster-agent-token/token)", environment["KUMA_AGENT_TOKEN"]);
        Assert.Equal("kuma-system", environment["KUMA_AGENT_NAMESPACE"]);
        Assert.Equal("kuma-orleans/cluster-agent:0.1.0", container.Image);
        foreach (var url in new[] { "KUMA_AGENT_CONTROL_PLANE_URL", "KUMA_AGENT_DP_SERVER_URL" })
            Assert.True(Uri.TryCreate(environment[url], UriKind.Absolute, out var uri) && uri.Scheme == "https", $"{url}: {environment[url]}");

        // What the agent makes of that environment (the token as its Secret would hand it over).
        environment["KUMA_AGENT_TOKEN"] = "a-tenant-token";
        var options = AgentOptions.From(environment.GetValueOrDefault);
        Assert.Equal((5443, "kuma-system", "kuma-cluster-agent.kuma-system.svc"), (options.WebhookPort, options.Namespace, options.ToInjection().ServiceDnsName));
    }

    [Fact]
    public void The_readme_names_every_variable_the_agent_reads()
    {
        var readme = File.ReadAllText(Path.Combine(Kuma.Tests.Infrastructure.NodeProcess.RepositoryRoot(), "README.md"));
        Assert.Equal([], AgentSettings.Where(name => !readme.Contains($"`{name}`", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Equal(12, AgentSettings.Count);
    }

    [Fact]
    public async Task Every_webhook_calls_the_agents_service_on_inject_and_reaches_its_webhook_port()
    {
        var objects = await KubernetesManifests.BuildAsync("cluster-agent");
        var deployment = KubernetesManifests.Single<V1Deployment>(objects, "kuma-cluster-agent");
        var container = deployment.Spec.Template.Spec.Containers.Single();
        var webhookPort = int.Parse(KubernetesManifests.Environment(container, objects, DownwardApi)["KUMA_AGENT_WEBHOOK_PORT"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(5443, webhookPort);
        // The host serves its health endpoints on the webhook's HTTPS port (AgentHostTests calls them there).
        Assert.Equal(("/readyz", "HTTPS", webhookPort, "/healthz", "HTTPS", webhookPort),
            (container.ReadinessProbe.HttpGet.Path, container.ReadinessProbe.HttpGet.Scheme, KubernetesManifests.PortOf(container, container.ReadinessProbe.HttpGet.Port),
             container.LivenessProbe.HttpGet.Path, container.LivenessProbe.HttpGet.Scheme, KubernetesManifests.PortOf(container, container.LivenessProbe.HttpGet.Port)));

        var service = KubernetesManifests.Single<V1Service>(objects, "kuma-cluster-agent");
        Assert.Equal(deployment.Spec.Selector.MatchLabels, service.Spec.Selector);
        var servicePort = service.Spec.Ports.Single();
        Assert.Equal((443, webhookPort), (servicePort.Port, KubernetesManifests.PortOf(container, servicePort.TargetPort)));

        var configuration = KubernetesManifests.Single<V1MutatingWebhookConfiguration>(objects, "kuma-cluster-agent");
        Assert.Equal(
            ["namespace-injector.cluster-agent.kuma.io", "pod-injector.cluster-agent.kuma.io", "proxyless-injector.cluster-agent.kuma.io"],
            configuration.Webhooks.Select(w => w.Name));
        foreach (var webhook in configuration.Webhooks)
        {
            var target = webhook.ClientConfig.Service;
            Assert.Equal(("kuma-cluster-agent", "kuma-system", "/inject", 443), (target.Name, target.NamespaceProperty, target.Path, target.Port));
            Assert.Equal(["v1"], webhook.AdmissionReviewVersions);
            Assert.Equal(("NoneOnDryRun", "Fail"), (webhook.SideEffects, webhook.FailurePolicy));
            var rule = webhook.Rules.Single();
            Assert.Equal(["|v1|CREATE|pods"], [string.Join('|', rule.ApiGroups.Concat(rule.ApiVersions).Concat(rule.Operations).Concat(rule.Resources))]);
            // The agent's own namespace is never sent, so the agent starts while its webhook is down.
            Assert.Contains(webhook.NamespaceSelector.MatchExpressions,
                e => e.Key == "kubernetes.io/metadata.name" && e.OperatorProperty == "NotIn" && e.Values.Contains("kuma-system") && e.Values.Contains("kube-system"));
        }
        Assert.Equal(["enabled", "true"], configuration.Webhooks[0].NamespaceSelector.MatchExpressions.Single(e => e.Key == "kuma.io/sidecar-injection").Values);
        Assert.Equal(new Dictionary<string, string> { ["kuma.io/sidecar-injection"] = "enabled" }, configuration.Webhooks[1].ObjectSelector.MatchLabels);
        Assert.Equal(["enabled"], configuration.Webhooks[2].ObjectSelector.MatchExpressions.Single(e => e.Key == "kuma.io/proxyless").Values);
    }

    [Fact]
    public async Task The_agent_may_read_what_it_converts_and_write_only_what_it_owns()
    {
        var objects = await KubernetesManifests.BuildAsync("cluster-agent");
        var role = KubernetesManifests.Single<V1ClusterRole>(objects, "kuma-cluster-agent");
        var rules = role.Rules.Select(r => $"{string.Join(',', r.ApiGroups)}|{string.Join(',', r.Resources)}|{string.Join(',', r.ResourceNames ?? [])}|{string.Join(',', r.Verbs)}");
        Assert.Equal(
        [
            "|namespaces,pods,services||get,list,watch",
            "|secrets||get,create,update",
            "kuma.io|*||get,list,watch",
            "kuma.io|*/status||update,patch",
            "apiextensions.k8s.io|customresourcedefinitions||list",
            "admissionregistration.k8s.io|mutatingwebhookconfigurations|kuma-cluster-agent|get,patch",
        ], rules);
        var binding = KubernetesManifests.Single<V1ClusterRoleBinding>(objects, "kuma-cluster-agent");
        Assert.Equal(("ClusterRole", "kuma-cluster-agent"), (binding.RoleRef.Kind, binding.RoleRef.Name));
        Assert.Equal(("ServiceAccount", "kuma-cluster-agent", "kuma-system"), (binding.Subjects.Single().Kind, binding.Subjects.Single().Name, binding.Subjects.Single().NamespaceProperty));
        Assert.Equal("kuma-cluster-agent", KubernetesManifests.Single<V1Deployment>(objects, "kuma-cluster-agent").Spec.Template.Spec.ServiceAccountName);
    }

    [Fact]
    public async Task The_agent_installs_the_same_crds_as_the_control_plane()
    {
        var agent = await KubernetesManifests.BuildAsync("cluster-agent");
        var controlPlane = await KubernetesManifests.BuildAsync("");
        Assert.Equal(
            controlPlane.OfType<V1CustomResourceDefinition>().Select(c => c.Metadata.Name).Order(StringComparer.Ordinal),
            agent.OfType<V1CustomResourceDefinition>().Select(c => c.Metadata.Name).Order(StringComparer.Ordinal));
    }
}
