namespace Kuma.Policies.MeshTrafficPermission;

/// <summary>The <c>default</c> block of a MeshTrafficPermission <c>from</c> entry.</summary>
public sealed class MeshTrafficPermissionConf
{
    /// <summary>Allow, Deny or AllowWithShadowDeny.</summary>
    public string? Action { get; set; }
}

/// <summary>The <c>default</c> block of a MeshTrafficPermission <c>rules</c> entry: callers matched per action.</summary>
public sealed class MeshTrafficPermissionRuleConf
{
    public List<Match>? Allow { get; set; }
    public List<Match>? Deny { get; set; }
    public List<Match>? AllowWithShadowDeny { get; set; }
}

/// <summary>MeshTrafficPermission's spec: <c>rules</c> carry match lists rather than an action.</summary>
public sealed class MeshTrafficPermissionSpec : PolicySpec<MeshTrafficPermissionConf, MeshTrafficPermissionRuleConf>;
