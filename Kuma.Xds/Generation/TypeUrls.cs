namespace Kuma.Xds.Generation;

public static class TypeUrls
{
    public const string Listener = "type.googleapis.com/envoy.config.listener.v3.Listener";
    public const string RouteConfiguration = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
    public const string Cluster = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    public const string ClusterLoadAssignment = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
    public const string Secret = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";

    /// <summary>Make before break: secrets (clusters and listeners wait for theirs), clusters, then their endpoints, then listeners, then routes.</summary>
    public static readonly string[] PushOrder = [Secret, Cluster, ClusterLoadAssignment, Listener, RouteConfiguration];

    public static bool IsKnown(string typeUrl) => Array.IndexOf(PushOrder, typeUrl) >= 0;

    /// <summary>LDS and CDS: a state-of-the-world response holds every subscribed resource; a missing one is a deletion.</summary>
    public static bool RequiresFullState(string typeUrl) => typeUrl is Listener or Cluster;

    /// <summary>Short names used in insight and logs.</summary>
    public static string ShortName(string typeUrl) => typeUrl switch
    {
        Listener => "lds",
        RouteConfiguration => "rds",
        Cluster => "cds",
        ClusterLoadAssignment => "eds",
        Secret => "sds",
        _ => typeUrl,
    };
}
