namespace Kuma.Policies.MeshTimeout;

/// <summary>
/// What of MeshTimeout a proxyless gRPC client gets: only <c>http.requestTimeout</c>, as the route's
/// <c>max_stream_duration</c> (gRPC's per-call bound). gRPC's xDS client reads neither a cluster's connect
/// timeout nor its HTTP protocol options, and the proxyless conversion drops the route's idle timeout and the
/// connection manager's request-headers timeout.
/// </summary>
internal static class MeshTimeoutProxyless
{
    public static IEnumerable<ProxylessGap> Gaps(MeshTimeoutConf conf) =>
    [
        .. ProxylessGap.IfSet(conf.ConnectionTimeout, "default.connectionTimeout", "gRPC's xDS client does not read a cluster's connect_timeout"),
        .. ProxylessGap.IfSet(conf.IdleTimeout, "default.idleTimeout", "gRPC's xDS client has no connection idle timeout to set"),
        .. ProxylessGap.IfSet(conf.Http?.StreamIdleTimeout, "default.http.streamIdleTimeout",
            "gRPC has no stream idle timeout: the route's idle_timeout is dropped for proxyless clients"),
        .. ProxylessGap.IfSet(conf.Http?.MaxStreamDuration, "default.http.maxStreamDuration",
            "it is set in the cluster's HTTP protocol options, which gRPC's xDS client does not read (requestTimeout bounds a call)"),
        .. ProxylessGap.IfSet(conf.Http?.MaxConnectionDuration, "default.http.maxConnectionDuration",
            "gRPC's xDS client has no maximum connection duration"),
        .. ProxylessGap.IfSet(conf.Http?.RequestHeadersTimeout, "default.http.requestHeadersTimeout",
            "gRPC's xDS client has no request-headers timeout: it is dropped for proxyless clients"),
    ];
}
