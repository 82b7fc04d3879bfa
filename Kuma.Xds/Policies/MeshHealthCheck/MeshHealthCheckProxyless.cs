namespace Kuma.Policies.MeshHealthCheck;

/// <summary>
/// What of MeshHealthCheck a proxyless gRPC client gets: nothing. gRPC's xDS client does no active health
/// checking (it ignores a cluster's health_checks) and has no panic mode to configure.
/// </summary>
internal static class MeshHealthCheckProxyless
{
    private const string NoActiveChecks = "gRPC's xDS client does no active health checking: it ignores a cluster's health_checks";
    private const string NoPanicMode = "gRPC's xDS client has no load-balancer panic mode";

    public static IEnumerable<ProxylessGap> Gaps(MeshHealthCheckConf conf) =>
    [
        .. ProxylessGap.IfSet(conf.Tcp, "default.tcp", NoActiveChecks),
        .. ProxylessGap.IfSet(conf.Http, "default.http", NoActiveChecks),
        .. ProxylessGap.IfSet(conf.Grpc, "default.grpc", NoActiveChecks),
        .. ProxylessGap.IfSet(conf.HealthyPanicThreshold, "default.healthyPanicThreshold", NoPanicMode),
        .. ProxylessGap.IfSet(conf.FailTrafficOnPanic, "default.failTrafficOnPanic", NoPanicMode),
    ];
}
