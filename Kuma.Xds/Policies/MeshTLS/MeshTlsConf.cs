namespace Kuma.Policies.MeshTls;

/// <summary>The <c>default</c> block of a MeshTLS <c>from</c> or <c>rules</c> entry.</summary>
public sealed class MeshTlsConf
{
    public TlsVersionRange? TlsVersion { get; set; }
    public List<string>? TlsCiphers { get; set; }

    /// <summary>Strict or Permissive: how this proxy's inbounds treat callers without mesh mTLS, over the mesh's own mode.</summary>
    public string? Mode { get; set; }
}

/// <summary>The TLS versions a connection may use, each TLSAuto, TLS10, TLS11, TLS12 or TLS13.</summary>
public sealed class TlsVersionRange
{
    public string? Min { get; set; }
    public string? Max { get; set; }
}
