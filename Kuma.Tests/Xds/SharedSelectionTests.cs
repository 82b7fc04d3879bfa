using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Xds;

/// <summary>
/// Endpoints asked for by name are selected once per generation for every proxy asking for the same names,
/// split clusters (routes to a MeshServiceSubset) included.
/// </summary>
public sealed class SharedSelectionTests
{
    private const string Route = """
        {"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"MeshService","name":"backend"},"rules":[
          {"matches":[{"path":{"type":"PathPrefix","value":"/v2"}}],
           "default":{"backendRefs":[{"kind":"MeshServiceSubset","name":"backend","tags":{"version":"v2"},"weight":100}]}}]}]}
        """;

    private static string Web(int i) => $$$"""
        {"networking":{"address":"10.0.0.{{{i}}}","inbound":[{"port":8080,"tags":{"kuma.io/service":"web","kuma.io/protocol":"http"}}],
         "outbound":[{"port":10001,"tags":{"kuma.io/service":"backend"}}]}}
        """;

    private static string Backend(int i, string version) => $$$"""
        {"networking":{"address":"10.0.1.{{{i}}}","inbound":[{"port":9090,"tags":{"kuma.io/service":"backend","kuma.io/protocol":"http","version":"{{{version}}}"}}]}}
        """;

    [Fact]
    public void Proxies_asking_for_the_same_split_cluster_endpoints_share_one_selection_holding_only_the_subset()
    {
        var mesh = InProcessMesh.Build(
            [("web-1", Web(1)), ("web-2", Web(2)), ("backend-1", Backend(1, "v1")), ("backend-2", Backend(2, "v2"))],
            policies: [("MeshHTTPRoute", "route", Route)]);
        var split = ClusterRef.Of("backend", [KeyValuePair.Create("version", "v2")]).Name;
        var names = new NamesKey(["backend", split]);

        var first = mesh.ForProxy("web-1").Named(TypeUrls.ClusterLoadAssignment, names);
        var second = mesh.ForProxy("web-2").Named(TypeUrls.ClusterLoadAssignment, new NamesKey(["backend", split]));

        Assert.Same(first, second);
        Assert.Equal(["backend", split], first.Select(r => r.Name));
        var subset = Envoy.Config.Endpoint.V3.ClusterLoadAssignment.Parser.ParseFrom(first[1].Payload.Value);
        Assert.Equal(["10.0.1.2"], subset.Endpoints.SelectMany(e => e.LbEndpoints).Select(e => e.Endpoint.Address.SocketAddress.Address));
    }

    [Fact]
    public void A_split_name_the_proxy_does_not_route_to_is_not_resolved_for_it()
    {
        var mesh = InProcessMesh.Build([("web-1", Web(1)), ("backend-1", Backend(1, "v1"))]);
        var split = ClusterRef.Of("backend", [KeyValuePair.Create("version", "v2")]).Name;

        var selected = mesh.ForProxy("web-1").Named(TypeUrls.ClusterLoadAssignment, new NamesKey(["backend", split]));

        Assert.Equal(["backend"], selected.Select(r => r.Name));
    }
}
