using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kuma.ClusterAgent.Hosting;
using Kuma.ClusterAgent.Injection;

namespace Kuma.Tests.Kubernetes.Injection;

public sealed class InjectionOptionsTests
{
    private static Func<string, string?> Env(Dictionary<string, string> values) => name => values.GetValueOrDefault(name);

    private static Dictionary<string, string> Minimal() => new()
    {
        ["KUMA_AGENT_CONTROL_PLANE_URL"] = "https://cp.example.com:5682",
        ["KUMA_AGENT_TOKEN"] = "agent-token",
        ["KUMA_AGENT_DP_SERVER_URL"] = "https://cp.example.com:5678",
        ["KUMA_AGENT_ZONE"] = "zone-east",
    };

    /// <summary>The webhook's options as the agent's host derives them from its environment.</summary>
    private static InjectionOptions FromEnvironment(Func<string, string?> env) => AgentOptions.From(env).ToInjection();

    [Fact]
    public void Minimal_environment_gives_kumas_defaults_and_the_agents_settings()
    {
        var options = FromEnvironment(Env(Minimal()));
        Assert.Equal(new Uri("https://cp.example.com:5678"), options.DpServerUrl);
        Assert.Equal("zone-east", options.Zone);
        Assert.Null(options.ControlPlaneCaPem);
        Assert.Equal(5443, options.WebhookPort);
        Assert.Equal("kuma-cluster-agent.kuma-system.svc", options.ServiceDnsName);
        Assert.Equal(("kumahq/kuma-dp:2.14.3", "kumahq/kuma-init:2.14.3"), (options.SidecarImage, options.InitImage));
        Assert.Equal((9901, 15001, 15006, 5678L, 9001), (options.AdminPort, options.RedirectPortOutbound, options.RedirectPortInbound, options.SidecarUid, options.ApplicationProbeProxyPort));
    }

    [Fact]
    public void Agent_settings_are_read_from_their_variables()
    {
        var ca = Path.GetTempFileName();
        try
        {
            File.WriteAllText(ca, InjectionTestOptions.CaPem);
            var values = Minimal();
            values["KUMA_AGENT_CA_FILE"] = ca;
            values["KUMA_AGENT_WEBHOOK_PORT"] = "8443";
            values["KUMA_AGENT_NAMESPACE"] = "kuma-agent";
            values["KUMA_AGENT_SIDECAR_IMAGE"] = "registry.example/kuma-dp:2.14.3";
            values["KUMA_AGENT_INIT_IMAGE"] = "registry.example/kuma-init:2.14.3";
            var options = FromEnvironment(Env(values));
            Assert.Equal(InjectionTestOptions.CaPem, options.ControlPlaneCaPem);
            Assert.Equal(8443, options.WebhookPort);
            Assert.Equal("kuma-cluster-agent.kuma-agent.svc", options.ServiceDnsName);
            Assert.Equal(("registry.example/kuma-dp:2.14.3", "registry.example/kuma-init:2.14.3"), (options.SidecarImage, options.InitImage));
        }
        finally
        {
            File.Delete(ca);
        }
    }

    [Theory]
    [InlineData("KUMA_AGENT_ZONE", "", "KUMA_AGENT_ZONE must be set (the name of this cluster's zone)")]
    [InlineData("KUMA_AGENT_DP_SERVER_URL", "", "KUMA_AGENT_DP_SERVER_URL must be set")]
    [InlineData("KUMA_AGENT_DP_SERVER_URL", "cp.example.com:5678", "KUMA_AGENT_DP_SERVER_URL: \"cp.example.com:5678\" is not an http(s) URL")]
    [InlineData("KUMA_AGENT_WEBHOOK_PORT", "70000", "KUMA_AGENT_WEBHOOK_PORT: \"70000\" is not a port number (1-65535)")]
    [InlineData("KUMA_AGENT_WEBHOOK_KEY_FILE", "/tls/tls.key", "KUMA_AGENT_WEBHOOK_CERT_FILE and KUMA_AGENT_WEBHOOK_KEY_FILE go together: set both or neither", "KUMA_AGENT_WEBHOOK_KEY_FILE: file /tls/tls.key does not exist")]
    public void Bad_setting_names_its_variable(string name, string value, params string[] problems)
    {
        var values = Minimal();
        values[name] = value;
        Assert.Equal(problems, Assert.Throws<AgentOptionsException>(() => FromEnvironment(Env(values))).Problems);
    }

    [Fact]
    public void Certificate_files_are_served_as_given_and_register_no_ca()
    {
        var generated = WebhookCertificate.Generate("kuma-cluster-agent.kuma-system.svc", DateTimeOffset.UtcNow);
        var directory = Directory.CreateTempSubdirectory();
        try
        {
            var cert = Path.Combine(directory.FullName, "tls.crt");
            var key = Path.Combine(directory.FullName, "tls.key");
            File.WriteAllText(cert, generated.Serving.ExportCertificatePem());
            File.WriteAllText(key, generated.Serving.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            var loaded = WebhookCertificate.Load(InjectionTestOptions.KumaTestConfig() with { WebhookCertFile = cert, WebhookKeyFile = key });
            Assert.Null(loaded.GeneratedCaPem);
            Assert.True(loaded.Serving.HasPrivateKey);
            Assert.Equal(generated.Serving.Thumbprint, loaded.Serving.Thumbprint);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
