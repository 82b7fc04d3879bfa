using System.Text.Json.Nodes;

namespace Kuma.Policies.MeshProxyPatch;

/// <summary>A MeshProxyPatch: one targetRef for the proxies it patches and one <c>default</c>, no <c>to</c> or <c>from</c>.</summary>
public sealed class MeshProxyPatchSpec
{
    public TargetRef? TargetRef { get; set; }
    public MeshProxyPatchConf? Default { get; set; }
}

/// <summary>
/// The modifications, in order. Merging accumulates them: every selected policy's list, least specific first
/// (<c>append</c> lists are concatenated by the rules engine).
/// </summary>
public sealed class MeshProxyPatchConf
{
    public List<Modification>? AppendModifications { get; set; }
}

/// <summary>Exactly one kind of resource per modification.</summary>
public sealed class Modification
{
    public ResourceMod<ClusterMatch>? Cluster { get; set; }
    public ResourceMod<ListenerMatch>? Listener { get; set; }
    public ResourceMod<FilterMatch>? NetworkFilter { get; set; }
    public ResourceMod<FilterMatch>? HttpFilter { get; set; }
    public ResourceMod<VirtualHostMatch>? VirtualHost { get; set; }
}

/// <summary>
/// One change: <see cref="Operation"/> (<c>Add</c>, <c>Remove</c>, <c>Patch</c>; filters also <c>AddFirst</c>,
/// <c>AddLast</c>, <c>AddBefore</c>, <c>AddAfter</c>), with the new or merged-in resource as YAML in
/// <see cref="Value"/>, or RFC 6902 operations in <see cref="JsonPatches"/>.
/// </summary>
public sealed class ResourceMod<TMatch> where TMatch : class
{
    public TMatch? Match { get; set; }
    public string? Operation { get; set; }
    public string? Value { get; set; }
    public List<JsonPatchBlock>? JsonPatches { get; set; }
}

public sealed class ClusterMatch
{
    public string? Origin { get; set; }
    public string? Name { get; set; }
}

public sealed class ListenerMatch
{
    public string? Origin { get; set; }
    public string? Name { get; set; }
    public Dictionary<string, string>? Tags { get; set; }
}

/// <summary>Selects network or HTTP filters: by their name, inside listeners chosen by name, origin or tags.</summary>
public sealed class FilterMatch
{
    public string? Origin { get; set; }
    public string? Name { get; set; }
    public string? ListenerName { get; set; }
    public Dictionary<string, string>? ListenerTags { get; set; }
}

public sealed class VirtualHostMatch
{
    public string? Origin { get; set; }
    public string? Name { get; set; }
    public string? RouteConfigurationName { get; set; }
}

/// <summary>One RFC 6902 operation; <see cref="Value"/> is any JSON.</summary>
public sealed class JsonPatchBlock
{
    public string? Op { get; set; }
    public string? Path { get; set; }
    public JsonNode? Value { get; set; }
    public string? From { get; set; }
}
