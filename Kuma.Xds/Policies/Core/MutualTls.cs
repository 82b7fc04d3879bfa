using Kuma.Resources.Core;

namespace Kuma.Policies;

/// <summary>
/// A mesh's mTLS while it is on: the mesh's name (peers are known by <c>spiffe://&lt;mesh&gt;/&lt;service&gt;</c>) and
/// the enabled backend's mode, <c>STRICT</c> or <c>PERMISSIVE</c>. Units that depend on it take it as an input.
/// </summary>
public sealed record MutualTls(string Mesh, string Mode)
{
    public const string Strict = "STRICT";
    public const string Permissive = "PERMISSIVE";

    /// <summary>On when <c>mtls.enabledBackend</c> names one of <c>mtls.backends</c>; null otherwise.</summary>
    public static MutualTls? Of(string mesh, MeshSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Mtls is not { EnabledBackend: { Length: > 0 } enabled } mtls) return null;
        var backend = mtls.Backends?.FirstOrDefault(b => b.Name == enabled);
        if (backend is null) return null;
        return new MutualTls(mesh, string.IsNullOrEmpty(backend.Mode) ? Strict : backend.Mode.ToUpperInvariant());
    }
}
