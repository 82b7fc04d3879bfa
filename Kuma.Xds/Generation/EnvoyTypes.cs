using System.Reflection;
using Envoy.Config.Listener.V3;
using Google.Protobuf.Reflection;

namespace Kuma.Xds.Generation;

/// <summary>
/// Every Envoy message this build knows, for reading and writing <c>Any</c> fields as JSON: users may put any
/// Envoy extension into a patched resource, not only the ones the control plane generates itself.
/// </summary>
public static class EnvoyTypes
{
    private static readonly Lazy<FileDescriptor[]> Files = new(() =>
        [.. typeof(Listener).Assembly.GetTypes()
            .Where(t => t.IsClass && t.IsAbstract && t.IsSealed && t.Name.EndsWith("Reflection", StringComparison.Ordinal))
            .Select(t => t.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null))
            .OfType<FileDescriptor>()]);

    private static readonly Lazy<TypeRegistry> All = new(() => TypeRegistry.FromFiles(Files.Value));

    public static TypeRegistry Registry => All.Value;

    /// <summary>The registry of <paramref name="listed"/> together with every Envoy message (the listed ones may come from elsewhere).</summary>
    public static TypeRegistry With(params MessageDescriptor[] listed) =>
        TypeRegistry.FromFiles([.. Files.Value, .. listed.Select(d => d.File).Distinct()]);
}
