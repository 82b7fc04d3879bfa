namespace Kuma.Policies.MeshHealthCheck;

/// <summary>Which of a conf's checks a cluster gets, by the protocol its service speaks.</summary>
internal enum HealthCheckKind { None, Tcp, Http, Grpc }

internal static class HealthCheckSelection
{
    /// <summary>
    /// The check of the service's own protocol when it is there and enabled; for HTTP and gRPC services whose
    /// own check is disabled, the TCP check instead. Nothing else falls back: an HTTP service with only a TCP
    /// check, or a service of another protocol, gets no check.
    /// </summary>
    public static HealthCheckKind Select(string protocol, MeshHealthCheckConf conf)
    {
        var http = protocol is "http" or "http2";
        var grpc = protocol == "grpc";
        if (http && Enabled(conf.Http?.Disabled, conf.Http)) return HealthCheckKind.Http;
        if (grpc && Enabled(conf.Grpc?.Disabled, conf.Grpc)) return HealthCheckKind.Grpc;
        if (protocol == "tcp" && Enabled(conf.Tcp?.Disabled, conf.Tcp)) return HealthCheckKind.Tcp;
        var ownDisabled = (http && conf.Http?.Disabled == true) || (grpc && conf.Grpc?.Disabled == true);
        return ownDisabled && Enabled(conf.Tcp?.Disabled, conf.Tcp) ? HealthCheckKind.Tcp : HealthCheckKind.None;
    }

    private static bool Enabled(bool? disabled, object? check) => check is not null && disabled != true;
}
