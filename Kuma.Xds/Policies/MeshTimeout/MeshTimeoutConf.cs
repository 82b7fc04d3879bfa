namespace Kuma.Policies.MeshTimeout;

/// <summary>The <c>default</c> block of a MeshTimeout entry; every value is a Go-style duration.</summary>
public sealed class MeshTimeoutConf
{
    public string? ConnectionTimeout { get; set; }
    public string? IdleTimeout { get; set; }
    public MeshTimeoutHttp? Http { get; set; }
}

public sealed class MeshTimeoutHttp
{
    public string? RequestTimeout { get; set; }
    public string? StreamIdleTimeout { get; set; }
    public string? MaxStreamDuration { get; set; }
    public string? MaxConnectionDuration { get; set; }
    public string? RequestHeadersTimeout { get; set; }
}
