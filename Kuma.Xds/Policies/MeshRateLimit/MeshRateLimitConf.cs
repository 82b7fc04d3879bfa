namespace Kuma.Policies.MeshRateLimit;

/// <summary>The <c>default</c> block of a MeshRateLimit entry: limits enforced by the proxy itself.</summary>
public sealed class MeshRateLimitConf
{
    public LocalRateLimit? Local { get; set; }
}

/// <summary>Per-proxy limits: requests for HTTP inbounds, connections for any inbound.</summary>
public sealed class LocalRateLimit
{
    public LocalHttpRateLimit? Http { get; set; }
    public LocalTcpRateLimit? Tcp { get; set; }
}

public sealed class LocalHttpRateLimit
{
    public bool? Disabled { get; set; }
    public Rate? RequestRate { get; set; }
    public OnRateLimit? OnRateLimit { get; set; }
}

/// <summary>What a caller gets back when it is over the limit.</summary>
public sealed class OnRateLimit
{
    public uint? Status { get; set; }
    public RateLimitHeaders? Headers { get; set; }
}

public sealed class RateLimitHeaders
{
    public List<RateLimitHeader>? Set { get; set; }
    public List<RateLimitHeader>? Add { get; set; }
}

public sealed class RateLimitHeader
{
    public string? Name { get; set; }
    public string? Value { get; set; }
}

public sealed class LocalTcpRateLimit
{
    public bool? Disabled { get; set; }
    public Rate? ConnectionRate { get; set; }
}

/// <summary>So many units (requests or connections) per interval.</summary>
public sealed class Rate
{
    public uint? Num { get; set; }

    /// <summary>A Go-style duration.</summary>
    public string? Interval { get; set; }
}
