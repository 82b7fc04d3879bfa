using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Kuma.Validation;
using Kuma.Xds.Generation;

namespace Kuma.Policies.MeshLoadBalancingStrategy;

/// <summary>
/// MeshLoadBalancingStrategy as Kuma applies it to a sidecar: the load balancer on each outbound cluster its
/// <c>to</c> rules select (and locality-weighted balancing when affinity tags are set), hash policies on the
/// outbound's routes (a route's own conf where a policy is aimed at a MeshHTTPRoute), and locality-aware
/// endpoints for the caller's zone (see <see cref="LocalityEndpoints"/>).
/// </summary>
public sealed class MeshLoadBalancingStrategyPlugin : PolicyPlugin<MeshLoadBalancingStrategyConf>
{
    public override bool ShapesEndpoints => true;

    protected override IEnumerable<ProxylessGap> ProxylessGaps(OutboundTarget target, MeshLoadBalancingStrategyConf conf) =>
        MeshLoadBalancingStrategyProxyless.Gaps(conf);

    protected override Tags? EndpointsCaller(OutboundTarget target, MeshLoadBalancingStrategyConf conf, IReadOnlyDictionary<string, string> caller) =>
        LocalityEndpoints.Shapes(conf) ? LocalityEndpoints.CallerFacts(conf, caller) : null;

    protected override void OutboundEndpoints(ClusterLoadAssignment endpoints, OutboundTarget target, MeshLoadBalancingStrategyConf conf, Tags caller) =>
        LocalityEndpoints.Apply(endpoints, conf, caller);

    protected override void OutboundCluster(Cluster cluster, OutboundTarget target, MeshLoadBalancingStrategyConf? conf)
    {
        if (conf is null) return;
        if (conf.LocalityAwareness?.LocalZone?.AffinityTags is { Count: > 0 })
            (cluster.CommonLbConfig ??= new Cluster.Types.CommonLbConfig()).LocalityWeightedLbConfig = new Cluster.Types.CommonLbConfig.Types.LocalityWeightedLbConfig();
        if (conf.LoadBalancer is { } lb) ConfigureLoadBalancer(cluster, lb);
    }

    protected override void OutboundListener(Listener listener, OutboundTarget target, MeshLoadBalancingStrategyConf? conf) =>
        ConfigureRoutes(listener, conf, NoRoutes);

    protected override void OutboundListener(Listener listener, OutboundTarget target, MeshLoadBalancingStrategyConf? conf,
        IReadOnlyDictionary<string, MeshLoadBalancingStrategyConf> routes) => ConfigureRoutes(listener, conf, routes);

    private static readonly IReadOnlyDictionary<string, MeshLoadBalancingStrategyConf> NoRoutes = new Dictionary<string, MeshLoadBalancingStrategyConf>();

    private static void ConfigureRoutes(Listener listener, MeshLoadBalancingStrategyConf? conf, IReadOnlyDictionary<string, MeshLoadBalancingStrategyConf> routes)
    {
        if (conf is null && routes.Count == 0) return;
        foreach (var chain in listener.FilterChains)
        {
            EnvoyEdit.UpdateFilter<HttpConnectionManager>(chain, EnvoyBuild.HttpConnectionManagerFilter, hcm =>
            {
                foreach (var route in (hcm.RouteConfig?.VirtualHosts ?? []).SelectMany(h => h.Routes))
                {
                    if (route.Route_ is not { } action || (routes.GetValueOrDefault(route.Name) ?? conf) is not { } routeConf) continue;
                    foreach (var policy in HashPoliciesOf(routeConf) ?? []) action.HashPolicy.Add(HashPolicy(policy));
                }
            });
        }
    }

    /// <summary>The conf's own hash policies, or else the ones under the chosen ring hash or Maglev balancer (Kuma's deprecated place).</summary>
    private static List<HashPolicy>? HashPoliciesOf(MeshLoadBalancingStrategyConf conf) =>
        conf.HashPolicies ?? conf.LoadBalancer?.Type switch
        {
            "RingHash" => conf.LoadBalancer.RingHash?.HashPolicies,
            "Maglev" => conf.LoadBalancer.Maglev?.HashPolicies,
            _ => null,
        };

    /// <summary>SourceIP is Kuma's deprecated name of Connection; it hashes the same way.</summary>
    private static RouteAction.Types.HashPolicy HashPolicy(HashPolicy conf)
    {
        var policy = new RouteAction.Types.HashPolicy();
        if (conf.Terminal is { } terminal) policy.Terminal = terminal;
        switch (conf.Type)
        {
            case "Header" when conf.Header is { } header:
                policy.Header = new RouteAction.Types.HashPolicy.Types.Header { HeaderName = header.Name };
                break;
            case "Cookie" when conf.Cookie is { } cookie:
                policy.Cookie = new RouteAction.Types.HashPolicy.Types.Cookie { Name = cookie.Name, Path = cookie.Path ?? "" };
                if (cookie.Ttl is { } ttl && Durations.TryParse(ttl, out var value)) policy.Cookie.Ttl = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(value);
                break;
            case "Connection" or "SourceIP" when conf.Connection is { } connection:
                policy.ConnectionProperties = new RouteAction.Types.HashPolicy.Types.ConnectionProperties { SourceIp = connection.SourceIP ?? false };
                break;
            case "QueryParameter" when conf.QueryParameter is { } query:
                policy.QueryParameter = new RouteAction.Types.HashPolicy.Types.QueryParameter { Name = query.Name };
                break;
            case "FilterState" when conf.FilterState is { } state:
                policy.FilterState = new RouteAction.Types.HashPolicy.Types.FilterState { Key = state.Key };
                break;
        }
        return policy;
    }

    private static void ConfigureLoadBalancer(Cluster cluster, LoadBalancer lb)
    {
        switch (lb.Type)
        {
            case "RoundRobin":
                cluster.LbPolicy = Cluster.Types.LbPolicy.RoundRobin;
                break;
            case "LeastRequest":
                cluster.LbPolicy = Cluster.Types.LbPolicy.LeastRequest;
                if (lb.LeastRequest is { } leastRequest)
                {
                    var config = new Cluster.Types.LeastRequestLbConfig();
                    if (leastRequest.ActiveRequestBias is { } bias) config.ActiveRequestBias = new RuntimeDouble { DefaultValue = Number(bias) };
                    if (leastRequest.ChoiceCount is { } choices) config.ChoiceCount = choices;
                    cluster.LeastRequestLbConfig = config;
                }
                break;
            case "Random":
                cluster.LbPolicy = Cluster.Types.LbPolicy.Random;
                break;
            case "RingHash":
                cluster.LbPolicy = Cluster.Types.LbPolicy.RingHash;
                if (lb.RingHash is { } ringHash)
                {
                    var config = new Cluster.Types.RingHashLbConfig();
                    if (ringHash.MinRingSize is { } min) config.MinimumRingSize = min;
                    if (ringHash.MaxRingSize is { } max) config.MaximumRingSize = max;
                    if (ringHash.HashFunction is { } function)
                    {
                        config.HashFunction = function == "MurmurHash2"
                            ? Cluster.Types.RingHashLbConfig.Types.HashFunction.MurmurHash2
                            : Cluster.Types.RingHashLbConfig.Types.HashFunction.XxHash;
                    }
                    cluster.RingHashLbConfig = config;
                }
                break;
            case "Maglev":
                cluster.LbPolicy = Cluster.Types.LbPolicy.Maglev;
                if (lb.Maglev is { } maglev)
                {
                    var config = new Cluster.Types.MaglevLbConfig();
                    if (maglev.TableSize is { } size) config.TableSize = size;
                    cluster.MaglevLbConfig = config;
                }
                break;
        }
    }

    /// <summary>Kuma's int-or-string numbers; validation has already refused anything else.</summary>
    private static double Number(JsonNode node) => node.GetValueKind() == JsonValueKind.String
        ? double.Parse(node.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture)
        : node.GetValue<double>();
}
