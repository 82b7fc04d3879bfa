namespace Kuma.Gateway.Auth;

/// <summary>Who sent a request: the admin, a tenant's user, or nobody known.</summary>
public sealed record Caller(string Name, string? Tenant, bool IsAdmin)
{
    public const string AdminGroup = "mesh-system:admin";
    public const string DefaultTenant = "default";

    public static readonly Caller Anonymous = new("mesh-system:anonymous", null, false);
    public static readonly Caller LocalAdmin = new("mesh-system:admin", null, true);

    public bool IsAnonymous => !IsAdmin && Tenant is null;

    /// <summary>The tenant that the plain Kuma paths act in for this caller.</summary>
    public string? HomeTenant => Tenant ?? (IsAdmin ? DefaultTenant : null);

    public bool MayActIn(string tenant) => IsAdmin || Tenant == tenant;
}
