using System.Collections.Immutable;
using Kuma.Grains;

namespace Kuma.Gateway.Auth;

/// <summary>Who sent a request: the admin, a tenant's user, or nobody known.</summary>
/// <param name="Groups">The token's groups, with <c>mesh-system:authenticated</c> added as Kuma adds it.</param>
/// <param name="Access">Who may do what in the caller's tenant (its Tenant's <c>access.static</c>).</param>
public sealed record Caller(string Name, string? Tenant, bool IsAdmin, ImmutableArray<string> Groups = default, TenantAccess? Access = null)
{
    public const string AdminGroup = TenantAccess.AdminGroup;
    public const string DefaultTenant = "default";

    public static readonly Caller Anonymous = new("mesh-system:anonymous", null, false, [TenantAccess.UnauthenticatedGroup]);
    public static readonly Caller LocalAdmin = new("mesh-system:admin", null, true, [AdminGroup]);

    public bool IsAnonymous => !IsAdmin && Tenant is null;

    /// <summary>The tenant that the plain Kuma paths act in for this caller.</summary>
    public string? HomeTenant => Tenant ?? (IsAdmin ? DefaultTenant : null);

    public bool MayActIn(string tenant) => IsAdmin || Tenant == tenant;

    /// <summary>
    /// The control plane's admin may do anything; a tenant's user what its tenant's rule allows. Refused in Kuma's
    /// words: <c>user "name/groups" cannot access &lt;action&gt;</c>.
    /// </summary>
    public void Require(Func<TenantAccess, AccessList> rule, string action)
    {
        if (IsAdmin || rule(Access ?? TenantAccess.Default).Allows(Name, GroupList)) return;
        throw new Api.ApiException(StatusCodes.Status403Forbidden, "Access Denied", $"user \"{this}\" cannot access {action}");
    }

    /// <summary>As Kuma prints a user: its name, a slash, its groups separated by commas.</summary>
    public override string ToString() => $"{Name}/{string.Join(',', GroupList)}";

    public IEnumerable<string> GroupList => Groups.IsDefault ? [] : Groups;
}
