using System.Text;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.AccessLoggers.File.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Policies.MeshAccessLog;

/// <summary>
/// Access logs name the calling proxy (its address and service), yet outbound listeners are built once for every
/// proxy with the same inputs: the units stay shared and each proxy's own values are filled in afterwards.
/// </summary>
public sealed class MeshAccessLogSharingTests
{
    private static string Dataplane(string address, string service) =>
        $$$"""{"networking":{"address":"{{{address}}}","inbound":[{"port":8080,"tags":{"kuma.io/service":"{{{service}}}","kuma.io/protocol":"http"}}],"outbound":[{"port":10001,"tags":{"kuma.io/service":"backend"}}]}}""";

    private const string MeshWideLog = """
        {"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"Mesh"},"default":{"backends":[{"type":"File","file":{"path":"/tmp/log"}}]}}]}
        """;

    private static MeshContext Mesh(params (string Type, string Name, string Spec)[] policies) => InProcessMesh.Build(
        [("web-1", Dataplane("10.0.0.1", "web")), ("web-2", Dataplane("10.0.0.2", "web")), ("backend-1", Dataplane("10.0.0.9", "backend"))],
        policies: policies);

    [Fact]
    public void Proxies_with_equal_outbounds_share_the_listener_unit_and_each_logs_its_own_address()
    {
        var mesh = Mesh(("MeshAccessLog", "all", MeshWideLog));

        var web1 = mesh.ForProxy("web-1");
        var web2 = mesh.ForProxy("web-2");

        Assert.Equal(web1.Inputs.OfType<OutboundListenerInputs>().Single(), web2.Inputs.OfType<OutboundListenerInputs>().Single());
        const string Expected = """
            [%START_TIME%] m1 "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-B3-TRACEID?X-DATADOG-TRACEID)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "web" "backend" "10.0.0.1" "%UPSTREAM_HOST%"
            """;
        Assert.Equal(Expected + "\n", OutboundLogLine(web1));
        Assert.Contains("\"web\" \"backend\" \"10.0.0.2\"", OutboundLogLine(web2), StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_is_left_to_fill_in_any_listener_or_cluster()
    {
        var mesh = Mesh(("MeshAccessLog", "all", MeshWideLog), ("MeshAccessLog", "in", """
            {"targetRef":{"kind":"Mesh"},"rules":[{"default":{"backends":[{"type":"Tcp","tcp":{"address":"logs.example:5000"}},{"type":"OpenTelemetry","openTelemetry":{"endpoint":"otel:4317"}}]}}]}
            """));

        foreach (var proxy in new[] { "web-1", "web-2", "backend-1" })
        {
            var config = mesh.ForProxy(proxy);
            foreach (var resource in config.Wildcard(TypeUrls.Listener).Concat(config.Wildcard(TypeUrls.Cluster)))
                Assert.DoesNotContain("%KUMA_", Encoding.UTF8.GetString(resource.Payload.Value.Span), StringComparison.Ordinal);
            Assert.Contains(config.Wildcard(TypeUrls.Cluster), c => c.Name == "meshaccesslog:opentelemetry:0");
        }
    }

    [Fact]
    public void Without_an_access_log_no_proxy_wide_step_runs()
    {
        var mesh = Mesh();

        Assert.DoesNotContain(mesh.ForProxy("web-1").Inputs, i => i is ProxyWideInputs);
    }

    private static string OutboundLogLine(ProxyConfig config)
    {
        var listener = config.Wildcard(TypeUrls.Listener).Single(l => l.Name.StartsWith("outbound:", StringComparison.Ordinal)).Payload.Unpack<Listener>();
        var hcm = listener.FilterChains.Single().Filters.Single(f => f.Name == EnvoyBuild.HttpConnectionManagerFilter).TypedConfig.Unpack<HttpConnectionManager>();
        return hcm.AccessLog.Single().TypedConfig.Unpack<FileAccessLog>().LogFormat.TextFormatSource.InlineString;
    }
}
