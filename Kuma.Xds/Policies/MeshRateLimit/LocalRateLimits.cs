using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Type.V3;
using Google.Protobuf.WellKnownTypes;
using HttpLocalRateLimit = Envoy.Extensions.Filters.Http.LocalRatelimit.V3.LocalRateLimit;
using TcpLocalRateLimit = Envoy.Extensions.Filters.Network.LocalRatelimit.V3.LocalRateLimit;

namespace Kuma.Policies.MeshRateLimit;

/// <summary>Envoy's local rate limit filters with the names, stat prefixes and runtime keys Kuma gives them.</summary>
internal static class LocalRateLimits
{
    public const string HttpFilterName = "envoy.filters.http.local_ratelimit";

    /// <summary>Kuma names the network filter after its config type, not Envoy's well-known name.</summary>
    public const string TcpFilterName = "envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit";

    /// <summary>
    /// The HCM filter: it limits nothing by itself (no token bucket); each route's own config does, so routes of
    /// one listener can have different limits.
    /// </summary>
    public static HttpFilter HttpFilter() => new()
    {
        Name = HttpFilterName,
        TypedConfig = Any.Pack(new HttpLocalRateLimit { StatPrefix = "rate_limit" }),
    };

    /// <summary>A route's limit, or null when the conf limits nothing (disabled, or no request rate).</summary>
    public static Any? ForRoute(LocalHttpRateLimit? http)
    {
        if (http is null || http.Disabled == true || http.RequestRate is not { } rate) return null;
        var config = new HttpLocalRateLimit
        {
            StatPrefix = "rate_limit",
            TokenBucket = Bucket(rate),
            FilterEnabled = FullyOn("local_rate_limit_enabled"),
            FilterEnforced = FullyOn("local_rate_limit_enforced"),
        };
        if (http.OnRateLimit is { } onLimit)
        {
            if (onLimit.Status is { } status and not 0) config.Status = new HttpStatus { Code = (StatusCode)(int)status };
            foreach (var header in onLimit.Headers?.Add ?? [])
            {
                config.ResponseHeadersToAdd.Add(Header(header.Name, header.Value, HeaderValueOption.Types.HeaderAppendAction.AppendIfExistsOrAdd));
            }
            // A set header with a comma-separated value becomes one overwriting header per value, as in Kuma.
            foreach (var header in onLimit.Headers?.Set ?? [])
            {
                foreach (var value in (header.Value ?? "").Split(','))
                {
                    config.ResponseHeadersToAdd.Add(Header(header.Name, value, HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd));
                }
            }
        }
        return Any.Pack(config);
    }

    /// <summary>The network filter limiting new connections, or null when the conf limits nothing.</summary>
    public static Filter? TcpFilter(LocalTcpRateLimit? tcp)
    {
        if (tcp is null || tcp.Disabled == true || tcp.ConnectionRate is not { } rate) return null;
        return new Filter
        {
            Name = TcpFilterName,
            TypedConfig = Any.Pack(new TcpLocalRateLimit { StatPrefix = "tcp_rate_limit", TokenBucket = Bucket(rate) }),
        };
    }

    private static TokenBucket Bucket(Rate rate) => new()
    {
        MaxTokens = rate.Num ?? 0,
        TokensPerFill = rate.Num ?? 0,
        FillInterval = Duration.FromTimeSpan(MeshRateLimitPolicy.IntervalOf(rate)),
    };

    private static RuntimeFractionalPercent FullyOn(string runtimeKey) => new()
    {
        DefaultValue = new FractionalPercent { Numerator = 100, Denominator = FractionalPercent.Types.DenominatorType.Hundred },
        RuntimeKey = runtimeKey,
    };

    private static HeaderValueOption Header(string? name, string? value, HeaderValueOption.Types.HeaderAppendAction action) => new()
    {
        Header = new HeaderValue { Key = name ?? "", Value = value ?? "" },
        AppendAction = action,
    };
}
