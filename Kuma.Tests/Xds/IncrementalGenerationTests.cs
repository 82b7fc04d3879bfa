using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Envoy.Service.Discovery.V3;
using Kuma.Grains;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;
using Kuma.Xds.Protocol;

namespace Kuma.Tests.Xds;

/// <summary>
/// A generation built from the previous one reuses what the change did not touch; it must still equal,
/// resource for resource, a generation built from scratch. And streams send only what changed.
/// </summary>
public sealed partial class IncrementalGenerationTests
{
    private static string Dataplane(int address, string service, string protocol, params string[] outbounds)
    {
        var outboundJson = string.Join(',', outbounds.Select((o, i) => $"{{\"port\":{10000 + i},\"tags\":{{\"kuma.io/service\":\"{o}\"}}}}"));
        // Two versions per service, so routes to version subsets have endpoints to pick from; three zones, so
        // locality-aware load balancing gives callers of different zones different endpoints.
        return $"{{\"networking\":{{\"address\":\"10.0.0.{address}\",\"inbound\":[{{\"port\":8080,\"servicePort\":80,\"tags\":{{\"kuma.io/service\":\"{service}\",\"kuma.io/protocol\":\"{protocol}\",\"version\":\"v{address % 2}\",\"kuma.io/zone\":\"z{address % 3}\"}}}}],\"outbound\":[{outboundJson}]}}}}";
    }

    private static readonly string[] Services = ["svc-0", "svc-1", "svc-2", "svc-3"];

    [GeneratedRegex("-[0-9a-f]{16}$")]
    private static partial Regex SubsetClusterName();

    [Fact]
    public void Every_generation_built_incrementally_equals_the_same_generation_built_from_scratch()
    {
        var random = new Random(7);
        // Whether a route is a MeshHTTPRoute or a MeshTCPRoute: drawn apart, so the rest of the sequence stays as it was.
        var routeKinds = new Random(3);
        // Picks between policy types of the same shape without drawing from the main sequence.
        var kinds = new Random(11);
        // Which services are TLS ready while the mesh is PERMISSIVE, drawn apart too.
        var readiness = new Random(5);
        var dataplanes = Enumerable.Range(0, 12).ToDictionary(i => $"dp-{i}", i => Dataplane(i + 1, Services[i % 4], "http", Services));
        var policies = new Dictionary<string, (string Type, string Spec)>();
        MeshContext? incremental = null;
        var subsetClustersSeen = 0;
        var routeConfsSeen = 0;
        var tcpRoutedHttpSeen = 0;
        var localityAwareSeen = 0;
        var permissiveTlsSeen = 0;
        for (var generation = 1; generation <= 120; generation++)
        {
            // Every 10 generations mTLS goes off, STRICT, PERMISSIVE in turn, without drawing from the sequences.
            var snapshot = InProcessMesh.Snapshot(dataplanes.Select(d => (d.Key, d.Value)), generation: generation,
                policies: policies.Select(p => (p.Value.Type, p.Key, p.Value.Spec)), meshSpec: MtlsMeshSpecs[generation / 10 % MtlsMeshSpecs.Length]);
            if (generation / 10 % MtlsMeshSpecs.Length == 2) snapshot = snapshot with { TlsReadiness = ReadyServices(readiness) };
            incremental = MeshContext.Build(snapshot, incremental);
            var scratch = MeshContext.Build(snapshot);
            foreach (var name in dataplanes.Keys) AssertSameConfig(scratch.ForProxy(name), incremental.ForProxy(name));
            if (snapshot.TlsReadiness is not null)
                permissiveTlsSeen += dataplanes.Keys.Count(name => scratch.ForProxy(name).Wildcard(TypeUrls.Cluster).Any(c => c.Payload.Unpack<Envoy.Config.Cluster.V3.Cluster>().TransportSocket is not null));
            subsetClustersSeen += dataplanes.Keys.Count(name => scratch.ForProxy(name).Wildcard(TypeUrls.Cluster).Any(c => SubsetClusterName().IsMatch(c.Name)));
            routeConfsSeen += dataplanes.Keys.Count(name => Services.Any(s => scratch.ForProxy(name).Rules.Outbound(s).Routes.Any(r => !r.IsEmpty)));
            tcpRoutedHttpSeen += dataplanes.Keys.Count(name => Services.Any(s => TcpRoutesHttp(scratch, scratch.ForProxy(name), s)));
            localityAwareSeen += dataplanes.Keys.Count(name => Services.Any(s =>
                scratch.ForProxy(name).Find(TypeUrls.ClusterLoadAssignment, s)?.Payload.Unpack<Envoy.Config.Endpoint.V3.ClusterLoadAssignment>()
                    .Endpoints.Any(e => e.Priority > 0 || e.Locality.SubZone.Length > 0) == true));

            // Next: a new or moved endpoint, a dataplane leaving, a service changing protocol, or a policy
            // appearing, changing or going away (a timeout, a route splitting traffic across version subsets,
            // or a timeout or retry aimed at a route).
            var pick = $"dp-{random.Next(16)}";
            switch (random.Next(7))
            {
                case 0: dataplanes[pick] = Dataplane(random.Next(1, 200), Services[random.Next(4)], "http", Services); break;
                case 1: dataplanes.Remove(pick); break;
                case 2: dataplanes[pick] = Dataplane(random.Next(1, 200), Services[random.Next(4)], random.Next(2) == 0 ? "tcp" : "grpc", Services[..random.Next(1, 4)]); break;
                case 3 or 4 or 5:
                    policies[$"policy-{random.Next(5)}"] = random.Next(3) switch
                    {
                        0 => RandomPolicy(random, kinds),
                        1 => RandomRoute(random, routeKinds),
                        _ => RandomRoutePolicy(random),
                    };
                    break;
                default: policies.Remove($"policy-{random.Next(5)}"); break;
            }
        }
        // The routes did make proxies use subset clusters, so their endpoints were compared too.
        Assert.True(subsetClustersSeen > 100, $"subset clusters in only {subsetClustersSeen} proxy configs");
        // And policies aimed at routes did configure single routes.
        Assert.True(routeConfsSeen > 100, $"per-route confs in only {routeConfsSeen} proxy configs");
        // And locality-aware load balancing gave callers endpoints of their own (priorities or affinity sub-zones).
        Assert.True(localityAwareSeen > 100, $"caller-specific endpoints in only {localityAwareSeen} proxy configs");
        // And PERMISSIVE generations had services TLS ready, so callers' clusters flipped between plaintext and mTLS.
        Assert.True(permissiveTlsSeen > 50, $"mTLS clusters under PERMISSIVE in only {permissiveTlsSeen} proxy configs");
        // And MeshTCPRoutes took HTTP outbounds over where no MeshHTTPRoute applied.
        Assert.True(tcpRoutedHttpSeen > 50, $"HTTP outbounds routed by a MeshTCPRoute in only {tcpRoutedHttpSeen} proxy configs");
    }

    private static TlsReadiness ReadyServices(Random random) =>
        new(Guid.Empty, ImmutableSortedSet.CreateRange(StringComparer.Ordinal, Services.Where(_ => random.Next(2) == 0)));

    private static readonly int HttpRouteType = Kuma.Policies.PolicyTypes.All.ToList().FindIndex(t => t.Name == "MeshHTTPRoute");
    private static readonly int TcpRouteType = Kuma.Policies.PolicyTypes.All.ToList().FindIndex(t => t.Name == "MeshTCPRoute");

    private static bool TcpRoutesHttp(MeshContext mesh, ProxyConfig proxy, string service)
    {
        var confs = proxy.Rules.Outbound(service).Confs;
        return mesh.ProtocolOf(service) == "http" && confs[TcpRouteType] is not null && confs[HttpRouteType] is null;
    }

    /// <summary>
    /// A MeshTimeout or a MeshLoadBalancingStrategy (<paramref name="kinds"/> picks) with a random target (whole mesh,
    /// one service, one dataplane) and random values.
    /// </summary>
    private static (string Type, string Spec) RandomPolicy(Random random, Random kinds)
    {
        var target = random.Next(3) switch
        {
            0 => """{"kind":"Mesh"}""",
            1 => $$"""{"kind":"MeshService","name":"{{Services[random.Next(4)]}}"}""",
            _ => $$"""{"kind":"Dataplane","name":"dp-{{random.Next(12)}}"}""",
        };
        var to = random.Next(2) == 0 ? """{"kind":"Mesh"}""" : $$"""{"kind":"MeshService","name":"{{Services[random.Next(4)]}}"}""";
        var seconds = random.Next(1, 60);
        if (kinds.Next(2) == 0) return ("MeshLoadBalancingStrategy", RandomLoadBalancing(kinds).Replace("TARGET", target).Replace("TO", to));
        var spec = """
            {"targetRef":TARGET,
             "to":[{"targetRef":TO,"default":{"connectionTimeout":"Ns","http":{"requestTimeout":"Ms"}}}],
             "from":[{"targetRef":{"kind":"Mesh"},"default":{"idleTimeout":"Nm"}}]}
            """;
        return ("MeshTimeout", spec.Replace("TARGET", target).Replace("TO", to).Replace("\"Ns", $"\"{seconds}s").Replace("\"Ms", $"\"{seconds * 2}s").Replace("\"Nm", $"\"{seconds}m"));
    }

    /// <summary>Locality awareness by zone, by the version tag, turned off, or a balancer with a hash policy.</summary>
    private static string RandomLoadBalancing(Random random)
    {
        var conf = random.Next(4) switch
        {
            0 => """{"localityAwareness":{"crossZone":{"failover":[{"to":{"type":"Only","zones":["z1"]}},{"to":{"type":"Any"}}]}}}""",
            1 => """{"localityAwareness":{"localZone":{"affinityTags":[{"key":"version"}]},"crossZone":{"failoverThreshold":{"percentage":70}}}}""",
            2 => """{"localityAwareness":{"disabled":true}}""",
            _ => """{"loadBalancer":{"type":"RingHash"},"hashPolicies":[{"type":"Header","header":{"name":"x-user"}}]}""",
        };
        return """{"targetRef":TARGET,"to":[{"targetRef":TO,"default":CONF}]}""".Replace("CONF", conf, StringComparison.Ordinal);
    }

    /// <summary>
    /// A MeshTimeout or MeshRetry aimed at one of the routes <see cref="RandomRoute"/> makes (its name may hold a
    /// route, another policy, or nothing): it selects whom the route selects and configures only the route's rule.
    /// </summary>
    private static (string Type, string Spec) RandomRoutePolicy(Random random)
    {
        var route = $"policy-{random.Next(5)}";
        var seconds = random.Next(1, 60);
        var (type, conf) = random.Next(2) == 0
            ? ("MeshTimeout", """{"http":{"requestTimeout":"Ns"}}""".Replace("N", $"{seconds}", StringComparison.Ordinal))
            : ("MeshRetry", """{"http":{"numRetries":N}}""".Replace("N", $"{seconds % 7}", StringComparison.Ordinal));
        var spec = """{"targetRef":{"kind":"MeshHTTPRoute","name":"ROUTE"},"to":[{"targetRef":{"kind":"Mesh"},"default":CONF}]}""";
        return (type, spec.Replace("ROUTE", route, StringComparison.Ordinal).Replace("CONF", conf, StringComparison.Ordinal));
    }

    /// <summary>
    /// A MeshHTTPRoute from a random caller set to one service: a prefix sent to version subsets of a random
    /// service (weighted, or a single one), which may speak TCP by then and so be dropped from the route; or, one
    /// time in three, a MeshTCPRoute sending all of that service's connections to those subsets.
    /// </summary>
    private static (string Type, string Spec) RandomRoute(Random random, Random kinds)
    {
        var target = random.Next(2) == 0 ? """{"kind":"Mesh"}""" : $$"""{"kind":"MeshService","name":"{{Services[random.Next(4)]}}"}""";
        var backend = Services[random.Next(4)];
        string Subset(int version, int? weight) =>
            $"{{\"kind\":\"MeshServiceSubset\",\"name\":\"{backend}\",\"tags\":{{\"version\":\"v{version}\"}}" + (weight is { } w ? $",\"weight\":{w}}}" : "}");
        var backends = random.Next(2) == 0
            ? $"[{Subset(0, random.Next(1, 100))},{Subset(1, random.Next(1, 100))}]"
            : $"[{Subset(random.Next(2), null)}]";
        var spec = """
            {"targetRef":TARGET,
             "to":[{"targetRef":{"kind":"MeshService","name":"DESTINATION"},
                    "rules":[{"matches":[{"path":{"type":"PathPrefix","value":"PREFIX"}}],"default":{"backendRefs":BACKENDS}}]}]}
            """;
        spec = spec.Replace("TARGET", target, StringComparison.Ordinal).Replace("DESTINATION", Services[random.Next(4)], StringComparison.Ordinal)
            .Replace("PREFIX", $"/p{random.Next(3)}", StringComparison.Ordinal).Replace("BACKENDS", backends, StringComparison.Ordinal);
        if (kinds.Next(3) > 0) return ("MeshHTTPRoute", spec);
        // The same split as a MeshTCPRoute: it turns the destination's HTTP outbounds into TCP proxies where no
        // MeshHTTPRoute applies to them too, and routes them wherever the destination speaks TCP.
        var json = System.Text.Json.Nodes.JsonNode.Parse(spec)!;
        json["to"]![0]!["rules"]![0]!.AsObject().Remove("matches");
        return ("MeshTCPRoute", json.ToJsonString());
    }

    [Fact]
    public void A_proxy_untouched_by_a_change_keeps_its_encoded_resources_and_a_changed_one_does_not()
    {
        var first = new Dictionary<string, string> { ["a"] = Dataplane(1, "svc-0", "http", Services), ["b"] = Dataplane(2, "svc-1", "http", Services) };
        var gen1 = MeshContext.Build(InProcessMesh.Snapshot(first.Select(d => (d.Key, d.Value))));
        var (a1, b1) = (gen1.ForProxy("a"), gen1.ForProxy("b"));
        var endpoints1 = a1.Find(TypeUrls.ClusterLoadAssignment, "svc-0");
        var second = new Dictionary<string, string>(first) { ["b"] = Dataplane(3, "svc-1", "http", Services) };
        var gen2 = MeshContext.Build(InProcessMesh.Snapshot(second.Select(d => (d.Key, d.Value)), generation: 2), gen1);

        Assert.Same(a1.Wildcard(TypeUrls.Listener), gen2.ForProxy("a").Wildcard(TypeUrls.Listener));
        Assert.NotSame(b1.Wildcard(TypeUrls.Listener), gen2.ForProxy("b").Wildcard(TypeUrls.Listener));
        Assert.Equal(2, gen2.ForProxy("a").Generation);
        // svc-0's endpoints come from "a" alone, which did not change: the same encoded resource.
        Assert.Same(endpoints1, gen2.ForProxy("a").Find(TypeUrls.ClusterLoadAssignment, "svc-0"));
        Assert.NotEqual(gen1.ForProxy("a").Find(TypeUrls.ClusterLoadAssignment, "svc-1")!.Version,
            gen2.ForProxy("a").Find(TypeUrls.ClusterLoadAssignment, "svc-1")!.Version);
    }

    [Fact]
    public void A_policy_change_reaches_only_the_proxies_whose_merged_rules_it_changes()
    {
        var dataplanes = Services.Select((s, i) => ($"dp-{i}", Dataplane(i + 1, s, "http", Services))).ToList();
        var gen1 = InProcessMesh.Build(dataplanes);
        var streams = dataplanes.ToDictionary(d => d.Item1, d => new SotwStream(TimeProvider.System));
        foreach (var (name, engine) in streams)
        {
            engine.OnConfig(gen1.ForProxy(name));
            var lds = Assert.Single(engine.OnRequest(new DiscoveryRequest { TypeUrl = TypeUrls.Listener }));
            Assert.Empty(engine.OnRequest(new DiscoveryRequest { TypeUrl = TypeUrls.Listener, VersionInfo = lds.VersionInfo, ResponseNonce = lds.Nonce }));
        }

        // Only svc-1's proxy is selected: its inbound requests get 3 s.
        var policy = ("MeshTimeout", "svc-1-inbound", """
            {"targetRef":{"kind":"MeshService","name":"svc-1"},"from":[{"targetRef":{"kind":"Mesh"},"default":{"http":{"requestTimeout":"3s"}}}]}
            """);
        var gen2 = MeshContext.Build(InProcessMesh.Snapshot(dataplanes, generation: 2, policies: [policy]), gen1);
        var sent = streams.ToDictionary(s => s.Key, s => s.Value.OnConfig(gen2.ForProxy(s.Key)).Count);
        Assert.Equal(new Dictionary<string, int> { ["dp-0"] = 0, ["dp-1"] = 1, ["dp-2"] = 0, ["dp-3"] = 0 }, sent);
        Assert.Same(gen1.ForProxy("dp-0").Wildcard(TypeUrls.Listener), gen2.ForProxy("dp-0").Wildcard(TypeUrls.Listener));
    }

    [Fact]
    public void Turning_mtls_on_and_off_rebuilds_the_inbounds_of_proxies_nothing_else_changed_for()
    {
        var dataplanes = Services.Select((s, i) => ($"dp-{i}", Dataplane(i + 1, s, "http", Services))).ToList();
        var permission = ("MeshTrafficPermission", "allow-svc-0", """
            {"targetRef":{"kind":"Mesh"},"from":[{"targetRef":{"kind":"MeshService","name":"svc-0"},"default":{"action":"Allow"}}]}
            """);
        const string MtlsOn = """{"mtls":{"enabledBackend":"ca-1","backends":[{"name":"ca-1","type":"builtin"}]}}""";
        const string MtlsOff = """{"mtls":{"backends":[{"name":"ca-1","type":"builtin"}]}}""";
        MeshContext? incremental = null;
        var generation = 0;
        foreach (var meshSpec in new[] { MtlsOff, MtlsOn, MtlsOn, MtlsOff })
        {
            var snapshot = InProcessMesh.Snapshot(dataplanes, generation: ++generation, policies: [permission], meshSpec: meshSpec);
            incremental = MeshContext.Build(snapshot, incremental);
            var scratch = MeshContext.Build(snapshot);
            foreach (var (name, _) in dataplanes) AssertSameConfig(scratch.ForProxy(name), incremental.ForProxy(name));
            // The permission acts exactly while mTLS is on: an RBAC filter on each inbound.
            var inbound = incremental.ForProxy("dp-1").Wildcard(TypeUrls.Listener).Single(l => l.Name.StartsWith("inbound:", StringComparison.Ordinal));
            Assert.Equal(meshSpec == MtlsOn, inbound.Payload.Value.Span.IndexOf("envoy.filters.http.rbac"u8) >= 0);
        }
    }

    [Fact]
    public void State_of_the_world_endpoints_carry_what_changed_since_the_client_last_accepted()
    {
        var dataplanes = Services.Select((s, i) => ($"dp-{i}", Dataplane(i + 1, s, "http", Services))).ToList();
        var engine = new SotwStream(TimeProvider.System);
        engine.OnConfig(InProcessMesh.Build(dataplanes).ForProxy("dp-0"));
        var first = Single(engine.OnRequest(Eds(null)));
        Assert.Equal(4, first.Resources.Count);
        Assert.Empty(engine.OnRequest(Eds(first)));

        dataplanes.Add(("dp-9", Dataplane(9, "svc-2", "http")));
        var update = Single(engine.OnConfig(InProcessMesh.Build(dataplanes, generation: 2).ForProxy("dp-0")));
        Assert.Equal(["svc-2"], update.Resources.Select(r => r.Unpack<Envoy.Config.Endpoint.V3.ClusterLoadAssignment>().ClusterName));
        Assert.NotEqual(first.VersionInfo, update.VersionInfo);

        // After a NACK the client holds what it last accepted, so the next change carries everything since then.
        var nack = Eds(update);
        nack.VersionInfo = first.VersionInfo;
        nack.ErrorDetail = new Google.Rpc.Status { Message = "rejected by test" };
        Assert.Empty(engine.OnRequest(nack));
        dataplanes.Add(("dp-10", Dataplane(10, "svc-3", "http")));
        var after = Single(engine.OnConfig(InProcessMesh.Build(dataplanes, generation: 3).ForProxy("dp-0")));
        Assert.Equal(["svc-2", "svc-3"], after.Resources.Select(r => r.Unpack<Envoy.Config.Endpoint.V3.ClusterLoadAssignment>().ClusterName));
    }

    [Fact]
    public void Delta_endpoints_carry_what_changed_and_name_what_went_away()
    {
        var dataplanes = Services.Select((s, i) => ($"dp-{i}", Dataplane(i + 1, s, "http", Services))).ToList();
        var engine = new DeltaStream(TimeProvider.System);
        engine.OnConfig(InProcessMesh.Build(dataplanes).ForProxy("dp-0"));
        var subscribe = new DeltaDiscoveryRequest { TypeUrl = TypeUrls.ClusterLoadAssignment };
        subscribe.ResourceNamesSubscribe.AddRange(Services);
        var first = Assert.Single(engine.OnRequest(subscribe));
        Assert.Equal(4, first.Resources.Count);
        Assert.Empty(engine.OnRequest(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.ClusterLoadAssignment, ResponseNonce = first.Nonce }));

        dataplanes.Add(("dp-9", Dataplane(9, "svc-2", "http")));
        var update = Assert.Single(engine.OnConfig(InProcessMesh.Build(dataplanes, generation: 2).ForProxy("dp-0")));
        Assert.Equal(["svc-2"], update.Resources.Select(r => r.Name));
        Assert.Empty(engine.OnConfig(InProcessMesh.Build(dataplanes, generation: 3).ForProxy("dp-0")));

        // svc-3 loses its only dataplane, and with it every outbound naming it: the mesh no longer knows it.
        var remaining = dataplanes.Where(d => d.Item1 != "dp-3").Select(d => (d.Item1, d.Item2.Replace(",{\"port\":10003,\"tags\":{\"kuma.io/service\":\"svc-3\"}}", ""))).ToList();
        var removal = Assert.Single(engine.OnConfig(InProcessMesh.Build(remaining, generation: 4).ForProxy("dp-0")));
        Assert.Equal(["svc-3"], removal.RemovedResources);
    }

    [Fact]
    public void A_response_answered_only_with_a_stale_nonce_is_sent_again_with_the_next_change()
    {
        var dataplanes = Services.Select((s, i) => ($"dp-{i}", Dataplane(i + 1, s, "http", Services))).ToList();
        var engine = new SotwStream(TimeProvider.System);
        engine.OnConfig(InProcessMesh.Build(dataplanes).ForProxy("dp-0"));
        var first = Single(engine.OnRequest(Eds(null)));
        Assert.Empty(engine.OnRequest(Eds(first)));

        // Two changes go out before the client answers; it rejects the first (by then a stale nonce)
        // and accepts the second, so it still lacks the first change's svc-1.
        dataplanes.Add(("dp-8", Dataplane(8, "svc-1", "http")));
        var second = Single(engine.OnConfig(InProcessMesh.Build(dataplanes, generation: 2).ForProxy("dp-0")));
        dataplanes.Add(("dp-9", Dataplane(9, "svc-2", "http")));
        var third = Single(engine.OnConfig(InProcessMesh.Build(dataplanes, generation: 3).ForProxy("dp-0")));
        var staleNack = Eds(second);
        staleNack.ErrorDetail = new Google.Rpc.Status { Message = "rejected by test" };
        Assert.Empty(engine.OnRequest(staleNack));

        Assert.Equal(["svc-1", "svc-2"], third.Resources.Select(r => r.Unpack<Envoy.Config.Endpoint.V3.ClusterLoadAssignment>().ClusterName));
    }

    private static DiscoveryRequest Eds(DiscoveryResponse? answering)
    {
        var request = new DiscoveryRequest { TypeUrl = TypeUrls.ClusterLoadAssignment, VersionInfo = answering?.VersionInfo ?? "", ResponseNonce = answering?.Nonce ?? "" };
        request.ResourceNames.AddRange(Services);
        return request;
    }

    private static DiscoveryResponse Single(List<DiscoveryResponse> responses) => Assert.Single(responses);

    private static void AssertSameConfig(ProxyConfig expected, ProxyConfig actual)
    {
        Assert.Equal(expected.Generation, actual.Generation);
        Assert.Equal(expected.DataplaneExists, actual.DataplaneExists);
        foreach (var type in new[] { TypeUrls.Listener, TypeUrls.Cluster })
            Assert.Equal(expected.Wildcard(type).Select(r => r.ToString()), actual.Wildcard(type).Select(r => r.ToString()));
        // Endpoints of every cluster the proxy has, subset clusters included.
        foreach (var cluster in expected.Wildcard(TypeUrls.Cluster))
            Assert.Equal(expected.Find(TypeUrls.ClusterLoadAssignment, cluster.Name)?.ToString(), actual.Find(TypeUrls.ClusterLoadAssignment, cluster.Name)?.ToString());
        foreach (var service in Services)
        {
            foreach (var type in new[] { TypeUrls.Cluster, TypeUrls.ClusterLoadAssignment, TypeUrls.Listener, TypeUrls.RouteConfiguration })
                Assert.Equal(expected.Find(type, service)?.ToString(), actual.Find(type, service)?.ToString());
        }
    }
}
