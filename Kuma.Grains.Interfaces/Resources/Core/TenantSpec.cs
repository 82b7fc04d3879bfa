namespace Kuma.Resources.Core;

/// <summary>A tenant of the hosted control plane: its limits and access rules. Unset limits mean unlimited / the server default.</summary>
public sealed class TenantSpec
{
    public TenantQuotas? Quotas { get; set; }
    public TenantApiRateLimit? ApiRateLimit { get; set; }
    public TenantAccessSpec? Access { get; set; }
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

/// <summary>
/// Who may do what inside the tenant, as Kuma's <c>access.static</c> config: each list names users and groups
/// of the tenant's tokens. A list left out keeps Kuma's default.
/// </summary>
public sealed class TenantAccessSpec
{
    public StaticAccessSpec? Static { get; set; }
}

public sealed class StaticAccessSpec
{
    /// <summary>Secrets and GlobalSecrets.</summary>
    public AccessListSpec? AdminResources { get; set; }
    public AccessListSpec? GenerateDpToken { get; set; }
    public AccessListSpec? GenerateUserToken { get; set; }
    public AccessListSpec? ViewConfigDump { get; set; }
}

public sealed class AccessListSpec
{
    public List<string>? Users { get; set; }
    public List<string>? Groups { get; set; }
}
