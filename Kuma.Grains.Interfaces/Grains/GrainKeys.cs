namespace Kuma.Grains;

/// <summary>
/// Grain keys. Every key starts with a non-hex letter and a '/', so Orleans never mistakes one for a
/// GUID or number, and tenant and mesh names (DNS labels) cannot contain the separator.
/// </summary>
public static class GrainKeys
{
    public static string Tenant(string tenant) => $"t/{tenant}";

    public static string Mesh(string tenant, string mesh) => $"t/{tenant}/m/{mesh}";

    public static (string Tenant, string Mesh) ParseMesh(string key)
    {
        var parts = key.Split('/');
        return parts is ["t", var tenant, "m", var mesh]
            ? (tenant, mesh)
            : throw new ArgumentException($"not a mesh grain key: {key}", nameof(key));
    }

    public static string ParseTenant(string key) =>
        key.StartsWith("t/", StringComparison.Ordinal) && key.IndexOf('/', 2) < 0
            ? key[2..]
            : throw new ArgumentException($"not a tenant grain key: {key}", nameof(key));
}
