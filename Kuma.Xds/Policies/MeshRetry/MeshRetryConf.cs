namespace Kuma.Policies.MeshRetry;

/// <summary>The <c>default</c> block of a MeshRetry <c>to</c> entry.</summary>
public sealed class MeshRetryConf
{
    public MeshRetryTcp? Tcp { get; set; }
    public MeshRetryHttp? Http { get; set; }
    public MeshRetryGrpc? Grpc { get; set; }
}

public sealed class MeshRetryTcp
{
    public uint? MaxConnectAttempt { get; set; }
}

public sealed class MeshRetryHttp
{
    public uint? NumRetries { get; set; }
    public string? PerTryTimeout { get; set; }
    public BackOff? BackOff { get; set; }
    public RateLimitedBackOff? RateLimitedBackOff { get; set; }
    public List<string>? RetryOn { get; set; }
    public List<HeaderMatch>? RetriableResponseHeaders { get; set; }
    public List<HeaderMatch>? RetriableRequestHeaders { get; set; }
    public List<HostSelection>? HostSelection { get; set; }
    public long? HostSelectionMaxAttempts { get; set; }
}

public sealed class MeshRetryGrpc
{
    public uint? NumRetries { get; set; }
    public string? PerTryTimeout { get; set; }
    public BackOff? BackOff { get; set; }
    public RateLimitedBackOff? RateLimitedBackOff { get; set; }
    public List<string>? RetryOn { get; set; }
}

public sealed class BackOff
{
    public string? BaseInterval { get; set; }
    public string? MaxInterval { get; set; }
}

public sealed class RateLimitedBackOff
{
    public List<ResetHeader>? ResetHeaders { get; set; }
    public string? MaxInterval { get; set; }
}

public sealed class ResetHeader
{
    public string? Name { get; set; }
    public string? Format { get; set; }
}

public sealed class HeaderMatch
{
    public string? Type { get; set; }
    public string? Name { get; set; }
    public string? Value { get; set; }
}

public sealed class HostSelection
{
    public string? Predicate { get; set; }
    public Dictionary<string, string>? Tags { get; set; }
    public long? UpdateFrequency { get; set; }
}
