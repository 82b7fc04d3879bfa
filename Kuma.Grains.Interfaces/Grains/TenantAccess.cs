using System.Collections.Immutable;
using Kuma.Resources.Core;

namespace Kuma.Grains;

/// <summary>Users and groups allowed one kind of action.</summary>
[GenerateSerializer, Immutable, Alias("kuma.AccessList")]
public sealed record AccessList([property: Id(0)] ImmutableArray<string> Users, [property: Id(1)] ImmutableArray<string> Groups)
{
    public bool Allows(string user, IEnumerable<string> groups) => Users.Contains(user) || groups.Any(Groups.Contains);
}

/// <summary>
/// A tenant's static access rules, with Kuma's defaults: admin resources (secrets), dataplane and user token
/// generation for user and group <c>mesh-system:admin</c> (the tenant's admin group); config dumps for everyone.
/// </summary>
[GenerateSerializer, Immutable, Alias("kuma.TenantAccess")]
public sealed record TenantAccess(
    [property: Id(0)] AccessList AdminResources,
    [property: Id(1)] AccessList GenerateDpToken,
    [property: Id(2)] AccessList GenerateUserToken,
    [property: Id(3)] AccessList ViewConfigDump)
{
    public const string AdminGroup = "mesh-system:admin";
    public const string AuthenticatedGroup = "mesh-system:authenticated";
    public const string UnauthenticatedGroup = "mesh-system:unauthenticated";

    private static readonly AccessList Admins = new([AdminGroup], [AdminGroup]);

    public static readonly TenantAccess Default = new(Admins, Admins, Admins, new([], [UnauthenticatedGroup, AuthenticatedGroup]));

    public static TenantAccess From(TenantAccessSpec? spec)
    {
        var rules = spec?.Static;
        if (rules is null) return Default;
        return new TenantAccess(
            Override(Default.AdminResources, rules.AdminResources),
            Override(Default.GenerateDpToken, rules.GenerateDpToken),
            Override(Default.GenerateUserToken, rules.GenerateUserToken),
            Override(Default.ViewConfigDump, rules.ViewConfigDump));
    }

    private static AccessList Override(AccessList defaults, AccessListSpec? spec) => spec is null
        ? defaults
        : new AccessList(spec.Users is null ? defaults.Users : [.. spec.Users], spec.Groups is null ? defaults.Groups : [.. spec.Groups]);
}
