using Kuma.ClusterAgent.Hosting;

namespace Kuma.Tests.Kubernetes.Sync;

/// <summary>The agent's environment: every problem reported at once, each naming its variable.</summary>
public sealed class AgentOptionsTests
{
    private static readonly Dictionary<string, string> Valid = new()
    {
        ["KUMA_AGENT_CONTROL_PLANE_URL"] = "https://cp.example:5682",
        ["KUMA_AGENT_TOKEN"] = "token-text\n",
        ["KUMA_AGENT_ZONE"] = "east-1",
        ["KUMA_AGENT_DP_SERVER_URL"] = "https://cp.example:5678",
        ["KUMA_AGENT_NAMESPACE"] = "kuma-agent",
    };

    [Fact]
    public void A_complete_environment_gives_its_settings()
    {
        var options = AgentOptions.From(Valid.GetValueOrDefault);
        Assert.Equal(new AgentOptions
        {
            ControlPlaneUrl = new Uri("https://cp.example:5682"),
            Token = "token-text",
            Zone = "east-1",
            DpServerUrl = new Uri("https://cp.example:5678"),
            WebhookPort = 5443,
            Namespace = "kuma-agent",
        }, options);
    }

    [Fact]
    public void The_token_may_come_from_a_file()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "from-file\n");
            var env = new Dictionary<string, string>(Valid) { ["KUMA_AGENT_TOKEN_FILE"] = file };
            env.Remove("KUMA_AGENT_TOKEN");
            Assert.Equal("from-file", AgentOptions.From(env.GetValueOrDefault).Token);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Every_missing_or_bad_variable_is_named()
    {
        var env = new Dictionary<string, string>
        {
            ["KUMA_AGENT_CONTROL_PLANE_URL"] = "cp.example:5682",
            ["KUMA_AGENT_WEBHOOK_PORT"] = "70000",
            ["KUMA_AGENT_CA_FILE"] = "/nonexistent/ca.pem",
        };
        var error = Assert.Throws<AgentOptionsException>(() => AgentOptions.From(env.GetValueOrDefault));
        Assert.Equal(
        [
            "KUMA_AGENT_CONTROL_PLANE_URL: \"cp.example:5682\" is not an http(s) URL",
            "KUMA_AGENT_DP_SERVER_URL must be set",
            "KUMA_AGENT_ZONE must be set (the name of this cluster's zone)",
            "KUMA_AGENT_TOKEN or KUMA_AGENT_TOKEN_FILE must be set (a user token of the tenant's admin group)",
            "KUMA_AGENT_CA_FILE: file /nonexistent/ca.pem does not exist",
            "KUMA_AGENT_WEBHOOK_PORT: \"70000\" is not a port number (1-65535)",
        ], error.Problems);
    }
}
