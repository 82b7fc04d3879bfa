using System.Text.Json.Nodes;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Kuma.Grains;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;
using Kuma.Xds.Inspect;
using Kuma.Xds.Protocol;

namespace Kuma.Tests.Policies;

/// <summary>
/// What inspection says of a proxyless client, computed in memory: the parts of policies it does not get (and
/// whose they are), the config of exactly what it subscribed to, and how its subscriptions are recorded.
/// </summary>
public sealed class ProxylessInspectTests
{
    private const string Backend = """{"networking":{"address":"10.0.0.1","inbound":[{"port":50051,"tags":{"kuma.io/service":"backend","kuma.io/protocol":"grpc","version":"v1"}}]}}""";

    private static readonly Dictionary<string, IReadOnlyDictionary<string, string>> ProxylessBackend = new()
    {
        ["backend-1"] = new Dictionary<string, string> { [MeshContext.ProxyTypeLabel] = "proxyless" },
    };

    private static MeshContext Mesh(params (string Type, string Name, string Spec)[] policies) =>
        InProcessMesh.Build([("backend-1", Backend)], policies: policies, labels: ProxylessBackend);

    private static StreamClient GrpcClient(IEnumerable<string> listeners, IEnumerable<string> clusters) =>
        StreamClient.Of("gRPC Node Pure JS", "1.14.1",
        [
            (TypeUrls.Listener, false, listeners),
            (TypeUrls.Cluster, false, clusters),
            (TypeUrls.ClusterLoadAssignment, false, clusters),
        ]);

    [Fact]
    public void Not_applied_parts_name_the_policies_that_set_them_and_leave_out_what_another_policy_replaced()
    {
        var mesh = Mesh(
            ("MeshTimeout", "timeout-a", """
                {"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"MeshService","name":"backend"},
                  "default":{"idleTimeout":"1h","http":{"requestTimeout":"1s"}}}]}
                """),
            ("MeshTimeout", "timeout-b", """{"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"Mesh"},"default":{"idleTimeout":"2h"}}]}"""),
            ("MeshTimeout", "backend-inbound", """
                {"targetRef":{"kind":"MeshService","name":"backend"},"from":[{"targetRef":{"kind":"Mesh"},"default":{"http":{"requestTimeout":"3s"}}}]}
                """),
            // retry-a, alphabetically first, wins: its retryOn replaces the one gRPC would not know.
            ("MeshRetry", "retry-a", """{"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"MeshService","name":"backend"},"default":{"grpc":{"retryOn":["Unavailable"]}}}]}"""),
            ("MeshRetry", "retry-b", """{"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"Mesh"},"default":{"grpc":{"numRetries":2,"retryOn":["Canceled"]}}}]}"""),
            ("MeshHTTPRoute", "headers", """
                {"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"MeshService","name":"backend"},"rules":[
                  {"matches":[{"path":{"type":"PathPrefix","value":"/"}}],
                   "default":{"filters":[{"type":"RequestHeaderModifier","requestHeaderModifier":{"set":[{"name":"x-a","value":"1"}]}}]}}]}]}
                """),
            ("MeshFaultInjection", "slow", """
                {"targetRef":{"kind":"MeshService","name":"backend"},"from":[{"targetRef":{"kind":"Mesh"},
                  "default":{"http":[{"abort":{"httpStatus":503,"percentage":10},"responseBandwidth":{"limit":"10kbps","percentage":50}}]}}]}
                """));

        var notApplied = PoliciesNotApplied.For(mesh, "caller", ["backend"]);

        Assert.Equal(
        [
            ("MeshHTTPRoute", "backend", "to[].rules[].default.filters[].requestHeaderModifier", "headers"),
            ("MeshFaultInjection", "backend", "from[].default.http[].responseBandwidth", "slow"),
            ("MeshTimeout", "backend", "to[].default.idleTimeout", "timeout-b,timeout-a"),
            ("MeshTimeout", "backend", "from[].default", "backend-inbound"),
        ],
        notApplied.Select(n => (n.Type, n.Service, n.Field, string.Join(',', n.Policies))));
        Assert.All(notApplied, n => Assert.False(string.IsNullOrWhiteSpace(n.Reason)));
    }

    [Fact]
    public void Not_applied_parts_of_a_policy_aimed_at_a_route_name_that_policy()
    {
        var mesh = Mesh(
            ("MeshHTTPRoute", "slow-route", """
                {"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"MeshService","name":"backend"},"rules":[
                  {"matches":[{"path":{"type":"Exact","value":"/pkg.Service/Slow"}}],"default":{}}]}]}
                """),
            ("MeshRetry", "retry-backend", """{"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"MeshService","name":"backend"},"default":{"grpc":{"numRetries":2,"retryOn":["Unavailable"]}}}]}"""),
            // On the route's rule only: its retryOn replaces the service's with one gRPC does not know.
            ("MeshRetry", "retry-slow", """{"targetRef":{"kind":"MeshHTTPRoute","name":"slow-route"},"to":[{"targetRef":{"kind":"Mesh"},"default":{"grpc":{"retryOn":["Canceled"]}}}]}"""));

        var notApplied = PoliciesNotApplied.For(mesh, "caller", ["backend"]);

        Assert.Equal([("MeshRetry", "backend", "to[].default.grpc", "retry-slow")],
            notApplied.Select(n => (n.Type, n.Service, n.Field, string.Join(',', n.Policies))));
    }

    [Fact]
    public void Not_applied_parts_of_a_policy_aimed_at_the_whole_proxy_count_once_for_every_service()
    {
        // A proxyless client with a Dataplane of its own (backend-1 serves and calls) is selected like any proxy.
        var mesh = Mesh(
            ("MeshMetric", "metrics", """{"targetRef":{"kind":"Mesh"},"default":{"backends":[{"type":"Prometheus","prometheus":{"port":5670}}]}}"""));

        var notApplied = PoliciesNotApplied.For(mesh, "backend-1", ["backend"]);

        Assert.Equal([("MeshMetric", PoliciesNotApplied.EveryService, "default.backends", "metrics")],
            notApplied.Select(n => (n.Type, n.Service, n.Field, string.Join(',', n.Policies))));
    }

    [Fact]
    public void A_sidecar_destinations_inbound_policies_are_its_own_business()
    {
        var mesh = InProcessMesh.Build([("backend-1", Backend)], policies:
        [
            ("MeshTimeout", "backend-inbound", """
                {"targetRef":{"kind":"MeshService","name":"backend"},"from":[{"targetRef":{"kind":"Mesh"},"default":{"http":{"requestTimeout":"3s"}}}]}
                """),
        ]);
        Assert.Empty(PoliciesNotApplied.For(mesh, "caller", ["backend"]));
    }

    [Fact]
    public void The_services_of_a_client_are_its_listeners_and_clusters_split_ones_included()
    {
        var mesh = Mesh();
        var split = ClusterRef.Of("backend", new Dictionary<string, string> { ["version"] = "v1" }).Name;
        var client = GrpcClient(["backend", "nowhere"], [split, "elsewhere-0123456789abcdef"]);
        Assert.Equal(["backend"], PoliciesNotApplied.ServicesOf(mesh, client).ToList());
    }

    [Fact]
    public void The_config_of_a_proxyless_client_is_exactly_what_it_subscribed_to_that_exists()
    {
        var mesh = Mesh();
        var dump = ConfigDump.RenderSubscribed(mesh.ForProxy("caller"), GrpcClient(["backend", "nowhere"], ["backend"]));

        static List<string> Names(JsonNode? resources, string key = "name") => [.. resources!.AsArray().Select(r => (string)r![key]!)];
        Assert.Equal(["backend"], Names(dump["listeners"]));
        Assert.Equal(["backend"], Names(dump["clusters"]));
        Assert.Equal(["backend"], Names(dump["endpoints"], "clusterName"));
        Assert.Null(dump["routes"]);
        // The sidecar view of a caller without a Dataplane has nothing of it.
        Assert.Empty(ConfigDump.Render(mesh.ForProxy("caller"))["listeners"]!.AsArray());
    }

    [Fact]
    public void A_redirecting_route_is_left_out_of_a_proxyless_listener_which_gRPC_would_otherwise_reject_whole()
    {
        var mesh = Mesh(("MeshHTTPRoute", "moved", """
            {"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"MeshService","name":"backend"},"rules":[
              {"matches":[{"path":{"type":"PathPrefix","value":"/old"}}],"default":{"filters":[{"type":"RequestRedirect","requestRedirect":{"statusCode":301}}]}}]}]}
            """));
        var listener = mesh.ForProxy("caller").Find(TypeUrls.Listener, "backend")!.Payload.Unpack<Listener>();
        var routes = listener.ApiListener.ApiListener_.Unpack<HttpConnectionManager>().RouteConfig.VirtualHosts.Single().Routes;

        Assert.All(routes, r => Assert.NotNull(r.Route_));
        Assert.Equal([("/", "backend")], routes.Select(r => (r.Match.Prefix, r.Route_.Cluster)));
    }

    [Fact]
    public void A_client_record_keeps_at_most_the_capped_names_and_counts_the_rest()
    {
        var many = Enumerable.Range(0, StreamClient.MaxNamesPerType + 5).Select(i => $"svc-{i:D3}").Append(new string('x', StreamClient.MaxNameLength + 1));
        var client = StreamClient.Of("gRPC " + new string('g', 500), "1", [(TypeUrls.Listener, false, many)]);

        var listeners = client.On(TypeUrls.Listener)!;
        Assert.Equal(StreamClient.MaxNamesPerType, listeners.Names.Length);
        Assert.Equal("svc-000", listeners.Names[0]);
        Assert.Equal(6, listeners.OmittedNames);
        Assert.Equal(StreamClient.MaxUserAgentLength, client.UserAgentName.Length);
        Assert.True(client.Proxyless);
        Assert.False(StreamClient.Of("envoy", "1.34.1", []).Proxyless);
        Assert.Null(client.On(TypeUrls.Cluster));
    }

    [Fact]
    public void Subscriptions_count_their_changes_but_not_repeated_names()
    {
        var sotw = new Subscription();
        sotw.ReplaceWith(["a"], TypeUrls.Listener, first: true);
        var afterFirst = sotw.Changes;
        sotw.ReplaceWith(["a"], TypeUrls.Listener, first: false); // an ACK repeats its names
        Assert.Equal(afterFirst, sotw.Changes);
        sotw.ReplaceWith(["a", "b"], TypeUrls.Listener, first: false);
        Assert.Equal(afterFirst + 1, sotw.Changes);

        var delta = new Subscription();
        delta.Apply(["a"], []);
        delta.Apply(["a"], []);
        Assert.Equal(1, delta.Changes);
        delta.Apply(["b"], ["a"]);
        Assert.Equal(2, delta.Changes);
        Assert.Equal(["b"], delta.Names.ToList());
    }
}
