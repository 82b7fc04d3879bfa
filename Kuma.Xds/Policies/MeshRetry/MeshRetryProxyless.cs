namespace Kuma.Policies.MeshRetry;

/// <summary>
/// What of MeshRetry a proxyless gRPC client gets. Like a sidecar, it gets the retry policy of the section its
/// destination's protocol selects; gRPC's xDS client then reads the number of retries (at most 4: gRPC makes at most
/// 5 attempts), the back-off, and the retryOn conditions that are gRPC status codes it knows (cancelled,
/// deadline-exceeded, internal, resource-exhausted, unavailable), and nothing else of it.
/// </summary>
internal static class MeshRetryProxyless
{
    private const int MaxRetries = 4;

    public static IEnumerable<ProxylessGap> Gaps(OutboundTarget target, MeshRetryConf conf)
    {
        var gaps = new List<ProxylessGap>();
        var selected = target.Protocol is "tcp" or "http" or "grpc" ? target.Protocol : null;
        var notSelected = selected is null
            ? $"no section applies to a {target.Protocol} service (Kuma sets no retries for it)"
            : $"only the {selected} section applies to a {target.Protocol} service";
        if (conf.Tcp is not null && selected != "tcp") gaps.Add(new("default.tcp", notSelected));
        if (conf.Http is not null && selected != "http") gaps.Add(new("default.http", notSelected));
        if (conf.Grpc is not null && selected != "grpc") gaps.Add(new("default.grpc", notSelected));

        if (selected == "tcp" && conf.Tcp?.MaxConnectAttempt is not null)
            gaps.Add(new("default.tcp.maxConnectAttempt", "gRPC's xDS client has no TCP proxy and no connect attempts to set"));
        if (selected == "http" && conf.Http is { NumRetries: not 0 })
            gaps.Add(new("default.http", "gRPC retries only on gRPC status codes, and the http section this http service gets names none"));
        if (selected == "grpc" && conf.Grpc is { NumRetries: not 0 } grpc) gaps.AddRange(GrpcGaps(grpc));
        return gaps;
    }

    private static IEnumerable<ProxylessGap> GrpcGaps(MeshRetryGrpc grpc)
    {
        var retryOn = grpc.RetryOn ?? [];
        // Kuma writes Canceled as "canceled"; gRPC's xDS client knows only "cancelled".
        if (retryOn.Count > 0 && retryOn.All(c => c == "Canceled"))
        {
            yield return new("default.grpc", "its only retryOn condition, Canceled, is written as 'canceled', which gRPC's xDS client does not know (it reads 'cancelled'): calls are not retried");
            yield break;
        }
        if (retryOn.Contains("Canceled"))
            yield return new("default.grpc.retryOn", "Canceled is written as 'canceled', which gRPC's xDS client does not know (it reads 'cancelled'): CANCELLED calls are not retried");
        if (grpc.NumRetries > MaxRetries)
            yield return new("default.grpc.numRetries", $"gRPC makes at most 5 attempts per call: more than {MaxRetries} retries act as {MaxRetries}");
        if (grpc.PerTryTimeout is not null)
            yield return new("default.grpc.perTryTimeout", "gRPC's xDS client has no per-try timeout");
        if (grpc.RateLimitedBackOff is not null)
            yield return new("default.grpc.rateLimitedBackOff", "gRPC's xDS client has no rate-limited back-off");
    }
}
