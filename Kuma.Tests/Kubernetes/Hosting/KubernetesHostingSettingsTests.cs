using System.Net;
using Kuma.Configuration;
using Kuma.Silo;

namespace Kuma.Tests.Kubernetes.Hosting;

/// <summary>KUMA_CLUSTER_KUBERNETES_HOSTING: the silo's identity from its pod, and the combinations that stop the start.</summary>
public sealed class KubernetesHostingSettingsTests
{
    private static readonly Dictionary<string, string> PodEnvironment = new()
    {
        ["POD_NAME"] = "kuma-silo-0",
        ["POD_NAMESPACE"] = "kuma-system",
        ["POD_IP"] = "10.1.2.3",
    };

    private static readonly Dictionary<string, string> PostgresWithHosting = new()
    {
        ["KUMA_STORE_TYPE"] = "postgres",
        ["KUMA_CLUSTER_KUBERNETES_HOSTING"] = "true",
        ["KUMA_CLUSTER_ID"] = "kuma",
    };

    [Fact]
    public void Off_by_default_whatever_the_pod_variables_say()
    {
        var settings = new KumaSettings(new Dictionary<string, string> { ["KUMA_STORE_TYPE"] = "memory" });
        Assert.Null(Resolve(settings, PodEnvironment));
    }

    [Fact]
    public void On_it_takes_the_pod_name_namespace_and_ip()
    {
        var identity = Resolve(new KumaSettings(PostgresWithHosting), PodEnvironment);
        Assert.Equal(new KubernetesSiloIdentity("kuma-silo-0", "kuma-system", IPAddress.Parse("10.1.2.3")), identity);
    }

    [Fact]
    public void Orleans_own_identity_variables_may_repeat_the_kuma_settings()
    {
        var environment = new Dictionary<string, string>(PodEnvironment) { ["ORLEANS_CLUSTER_ID"] = "kuma", ["ORLEANS_SERVICE_ID"] = "kuma-cp" };
        Assert.NotNull(Resolve(new KumaSettings(PostgresWithHosting), environment));
    }

    public static TheoryData<string, string?, string?, string> BadCombinations => new()
    {
        { "KUMA_STORE_TYPE", "memory", null, "KUMA_CLUSTER_KUBERNETES_HOSTING=true keeps silo membership in PostgreSQL: set KUMA_STORE_TYPE=postgres" },
        { "KUMA_CLUSTER_KUBERNETES_HOSTING", "yes", null, "KUMA_CLUSTER_KUBERNETES_HOSTING must be true or false, got 'yes'" },
        { "POD_NAME", null, null, "KUMA_CLUSTER_KUBERNETES_HOSTING=true needs POD_NAME (the downward API's metadata.name) in the environment" },
        { "POD_NAMESPACE", null, null, "KUMA_CLUSTER_KUBERNETES_HOSTING=true needs POD_NAMESPACE (the downward API's metadata.namespace) in the environment" },
        { "POD_IP", null, null, "KUMA_CLUSTER_KUBERNETES_HOSTING=true needs POD_IP (the downward API's status.podIP) in the environment" },
        { "POD_IP", null, "kuma-silo-0.local", "POD_IP must be an IP address (the downward API's status.podIP), got 'kuma-silo-0.local'" },
        { "KUMA_CLUSTER_ADVERTISED_ADDRESS", "10.9.9.9", null, "KUMA_CLUSTER_ADVERTISED_ADDRESS (10.9.9.9) differs from POD_IP (10.1.2.3): with KUMA_CLUSTER_KUBERNETES_HOSTING=true the silo advertises its pod's IP; unset KUMA_CLUSTER_ADVERTISED_ADDRESS" },
        { "ORLEANS_CLUSTER_ID", null, "other", "ORLEANS_CLUSTER_ID (other) differs from KUMA_CLUSTER_ID (kuma): set only KUMA_CLUSTER_ID" },
        { "ORLEANS_SERVICE_ID", null, "other", "ORLEANS_SERVICE_ID (other) differs from KUMA_CLUSTER_SERVICE_ID (kuma-cp): set only KUMA_CLUSTER_SERVICE_ID" },
    };

    /// <param name="setting">The KUMA_* setting or environment variable the case is about.</param>
    /// <param name="settingValue">Its KUMA_* value (null: leave the settings as they are).</param>
    /// <param name="environmentValue">Its environment value (null with a null settingValue: remove it from the environment).</param>
    [Theory]
    [MemberData(nameof(BadCombinations))]
    public void A_bad_combination_names_the_variable_to_fix(string setting, string? settingValue, string? environmentValue, string message)
    {
        var settings = new Dictionary<string, string>(PostgresWithHosting);
        var environment = new Dictionary<string, string>(PodEnvironment);
        if (settingValue is not null) settings[setting] = settingValue;
        else if (environmentValue is not null) environment[setting] = environmentValue;
        else environment.Remove(setting);

        var error = Assert.Throws<KumaConfigurationException>(() => Resolve(new KumaSettings(settings), environment));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public async Task The_control_plane_refuses_to_start_with_kubernetes_hosting_on_the_memory_store()
    {
        var settings = new KumaSettings(new Dictionary<string, string> { ["KUMA_STORE_TYPE"] = "memory", ["KUMA_CLUSTER_KUBERNETES_HOSTING"] = "true" });
        var error = await Assert.ThrowsAsync<KumaConfigurationException>(() => ControlPlaneHost.StartAsync(settings, []));
        Assert.Equal("KUMA_CLUSTER_KUBERNETES_HOSTING=true keeps silo membership in PostgreSQL: set KUMA_STORE_TYPE=postgres", error.Message);
    }

    private static KubernetesSiloIdentity? Resolve(KumaSettings settings, Dictionary<string, string> environment) =>
        KubernetesHosting.From(settings, StoreOptions.From(settings), KumaClusterOptions.From(settings), name => environment.GetValueOrDefault(name));
}
