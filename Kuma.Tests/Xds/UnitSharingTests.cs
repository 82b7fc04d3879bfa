using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Xds;

/// <summary>
/// A policy per service must not make every outbound listener of the mesh caller-specific: what a listener unit
/// depends on is only what its plugins read. Two services' proxies calling the same backend share the unit when
/// their policies differ only in what listeners do not read (a proxy patch acts in the proxy-wide step; a Zipkin
/// tracer reads the proxy's mesh and zone, not its service).
/// </summary>
public sealed class UnitSharingTests
{
    private static string Dataplane(string address, string service) =>
        $$$"""{"networking":{"address":"{{{address}}}","inbound":[{"port":8080,"tags":{"kuma.io/service":"{{{service}}}","kuma.io/protocol":"http"}}],"outbound":[{"port":10001,"tags":{"kuma.io/service":"backend"}}]}}""";

    private static MeshContext Mesh(Func<string, string> policyOf, string type) => InProcessMesh.Build(
        [("web-1", Dataplane("10.0.0.1", "web")), ("api-1", Dataplane("10.0.0.2", "api")), ("backend-1", Dataplane("10.0.0.9", "backend"))],
        policies: [(type, "of-web", policyOf("web")), (type, "of-api", policyOf("api"))]);

    private static string Trace(string service, string backend) =>
        """{"targetRef":{"kind":"MeshService","name":"SERVICE"},"default":{"backends":[BACKEND],"sampling":{"overall":1}}}"""
            .Replace("SERVICE", service, StringComparison.Ordinal).Replace("BACKEND", backend, StringComparison.Ordinal);

    private const string Zipkin = """{"type":"Zipkin","zipkin":{"url":"http://zipkin.tracing:9411/api/v2/spans"}}""";
    private const string Datadog = """{"type":"Datadog","datadog":{"url":"http://datadog.tracing:8126"}}""";

    [Fact]
    public void A_zipkin_trace_per_service_keeps_the_outbound_listener_shared()
    {
        var mesh = Mesh(s => Trace(s, Zipkin), "MeshTrace");

        Assert.Equal(OutboundListener(mesh, "web-1"), OutboundListener(mesh, "api-1"));
        Assert.NotNull(OutboundListener(mesh, "web-1").Proxy);
    }

    [Fact]
    public void A_datadog_trace_names_the_service_so_each_service_gets_its_own_listener()
    {
        var mesh = Mesh(s => Trace(s, Datadog), "MeshTrace");

        Assert.NotEqual(OutboundListener(mesh, "web-1"), OutboundListener(mesh, "api-1"));
        Assert.Equal("web", OutboundListener(mesh, "web-1").Proxy?.Service);
    }

    [Fact]
    public void A_proxy_patch_per_service_keeps_the_outbound_listener_shared()
    {
        var mesh = Mesh(s => $$$"""
            {"targetRef":{"kind":"MeshService","name":"{{{s}}}"},"default":{"appendModifications":[
              {"cluster":{"operation":"Patch","match":{"name":"backend"},"jsonPatches":[{"op":"replace","path":"/connectTimeout","value":"2s"}]}}]}}
            """, "MeshProxyPatch");

        Assert.Equal(OutboundListener(mesh, "web-1"), OutboundListener(mesh, "api-1"));
        Assert.Contains(mesh.ForProxy("web-1").Inputs, i => i is ProxyWideInputs);
    }

    private static OutboundListenerInputs OutboundListener(MeshContext mesh, string proxy) =>
        mesh.ForProxy(proxy).Inputs.OfType<OutboundListenerInputs>().Single();
}
