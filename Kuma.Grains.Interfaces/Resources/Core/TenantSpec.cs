namespace Kuma.Resources.Core;

/// <summary>A tenant of the hosted control plane: its limits. Unset limits mean unlimited / the server default.</summary>
public sealed class TenantSpec
{
    public TenantQuotas? Quotas { get; set; }
    public TenantApiRateLimit? ApiRateLimit { get; set; }
}

public sealed class TenantQuotas
{
    public int? Meshes { get; set; }
    public int? Dataplanes { get; set; }
    public int? Policies { get; set; }
}

public sealed class TenantApiRateLimit
{
    public int? RequestsPerSecond { get; set; }
}
