using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kuma.ClusterAgent.Injection;

namespace Kuma.Tests.Kubernetes.Injection;

public sealed class InjectionOptionsTests
{
    private static Func<string, string?> Env(Dictionary<string, string> values) => name => values.GetValueOrDefault(name);

    private static Dictionary<string, string> Minimal() => new()
    {
        ["KUMA_AGENT_DP_SERVER_URL"] = "https://cp.example.com:5678",
        ["KUMA_AGENT_ZONE"] = "zone-east",
    };

    [Fact]
    public void Minimal_environment_gives_kumas_defaults_and_the_agents_settings()
    {
        var options = InjectionOptions.FromEnvironment(Env(Minimal()));
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
            var options = InjectionOptions.FromEnvironment(Env(values));
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
    [InlineData("KUMA_AGENT_ZONE", "", "KUMA_AGENT_ZONE is required")]
    [InlineData("KUMA_AGENT_DP_SERVER_URL", "", "KUMA_AGENT_DP_SERVER_URL is required")]
    [InlineData("KUMA_AGENT_DP_SERVER_URL", "cp.example.com:5678", "KUMA_AGENT_DP_SERVER_URL must be an absolute http(s) URL, got 'cp.example.com:5678'")]
    [InlineData("KUMA_AGENT_WEBHOOK_PORT", "70000", "KUMA_AGENT_WEBHOOK_PORT must be a port number, got '70000'")]
    [InlineData("KUMA_AGENT_WEBHOOK_CERT_FILE", "/tls/tls.crt", "KUMA_AGENT_WEBHOOK_CERT_FILE and KUMA_AGENT_WEBHOOK_KEY_FILE go together: set both or neither")]
    public void Bad_setting_names_its_variable(string name, string value, string message)
    {
        var values = Minimal();
        values[name] = value;
        Assert.Equal(message, Assert.Throws<InvalidOperationException>(() => InjectionOptions.FromEnvironment(Env(values))).Message);
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
