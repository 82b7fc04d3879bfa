namespace Kuma.Resources;

/// <summary>
/// Identity of a stored resource. Global resources (Mesh, Tenant, GlobalSecret) have an empty
/// <see cref="Mesh"/>; the system scope (tenants themselves, user-token keys) has an empty <see cref="Tenant"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("kuma.ResourceKey")]
public readonly record struct ResourceKey(
    [property: Id(0)] string Tenant,
    [property: Id(1)] string Type,
    [property: Id(2)] string Mesh,
    [property: Id(3)] string Name)
{
    public const string SystemTenant = "";

    public static ResourceKey Global(string tenant, string type, string name) => new(tenant, type, "", name);

    public override string ToString() => $"{Tenant}/{Type}/{Mesh}/{Name}";
}

/// <summary>Orders keys the way listings are paged: by mesh, then name, ordinal.</summary>
public sealed class ResourceKeyComparer : IComparer<ResourceKey>
{
    public static readonly ResourceKeyComparer Instance = new();

    public int Compare(ResourceKey x, ResourceKey y)
    {
        var c = string.CompareOrdinal(x.Tenant, y.Tenant);
        if (c != 0) return c;
        c = string.CompareOrdinal(x.Type, y.Type);
        if (c != 0) return c;
        c = string.CompareOrdinal(x.Mesh, y.Mesh);
        return c != 0 ? c : string.CompareOrdinal(x.Name, y.Name);
    }
}
