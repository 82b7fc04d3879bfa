using System.Collections.Immutable;
using System.Text;
using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Google.Protobuf;
using Kuma.Xds.Generation;

namespace Kuma.Policies;

/// <summary>
/// The proxy as a whole, as proxy-wide plugin steps see it (see <see cref="PolicyPlugin.ProxyResources"/>):
/// what Kuma's plugins read from the Dataplane itself, e.g. to name a metrics listener or a tracer's service.
/// </summary>
/// <param name="Mesh">The mesh the proxy belongs to.</param>
/// <param name="Dataplane">The Dataplane's name.</param>
/// <param name="Address">The Dataplane's <c>networking.address</c>.</param>
/// <param name="Inbounds">Each inbound's tags, in the Dataplane's order (the first one's service identifies the proxy).</param>
public sealed record ProxyWideTarget(string Mesh, string Dataplane, string Address, ImmutableArray<Tags> Inbounds)
{
    /// <summary>The service that identifies the proxy (its first inbound's), as Kuma names tracers and metrics by it.</summary>
    public string? Service => Inbounds.IsDefaultOrEmpty ? null : Inbounds[0].Values.GetValueOrDefault(ServiceEndpoint.ServiceTag);

    /// <summary>The mesh's <c>networking.outbound.passthrough</c>: whether the proxy got original-destination clusters for unknown destinations.</summary>
    public bool OutboundPassthrough { get; init; } = true;

    /// <summary>The Dataplane resource's labels (Kuma reads <c>kuma.io/zone</c> and <c>kuma.io/workload</c> from them).</summary>
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>Kuma's proxy role: sidecar, gateway, zone-ingress, zone-egress or zone-proxy (both zone listeners).</summary>
    public string Role { get; init; } = "sidecar";

    /// <summary>What the proxy's own xDS node reported about it (e.g. where kuma-dp keeps the metrics certificate).</summary>
    public ProxyNode Node { get; init; } = ProxyNode.None;

    /// <summary>A zone ingress or egress with no inbound of its own, so no workload beside it.</summary>
    public bool IsZoneProxyOnly => Role.StartsWith("zone-", StringComparison.Ordinal) && Inbounds.IsDefaultOrEmpty;

    public bool Equals(ProxyWideTarget? other) =>
        other is not null && Mesh == other.Mesh && Dataplane == other.Dataplane && Address == other.Address
        && Inbounds.AsSpan().SequenceEqual(other.Inbounds.AsSpan()) && Role == other.Role && Labels.SequenceEqual(other.Labels)
        && OutboundPassthrough == other.OutboundPassthrough && Node == other.Node;

    public override int GetHashCode() => HashCode.Combine(Mesh, Dataplane, Address, Inbounds.Length);
}

/// <summary>
/// One policy type's confs as they reach one proxy: the merged top-level <c>default</c> of policies aimed at the
/// proxy as a whole (<see cref="Proxy"/>) and, for plugins that ask (<see cref="PolicyPlugin.ReadsEveryConf"/>),
/// every distinct merged conf its outbounds, routes and inbounds received (<see cref="Used"/>), e.g. to add one
/// cluster per access-log collector however many listeners log to it. Compared by JSON, like the rule sets.
/// </summary>
public sealed class ProxyWideConfs : IEquatable<ProxyWideConfs>
{
    private readonly string _key;

    public ProxyWideConfs(JsonObject? proxy, ImmutableArray<JsonObject> used, JsonObject? passthrough = null)
    {
        Proxy = proxy;
        Used = used;
        Passthrough = passthrough;
        var key = new StringBuilder(proxy?.ToJsonString() ?? "-");
        foreach (var conf in used) key.Append('\u001f').Append(conf.ToJsonString());
        if (passthrough is not null) key.Append('\u001e').Append(passthrough.ToJsonString());
        _key = key.ToString();
    }

    public static ProxyWideConfs None { get; } = new(null, []);

    public JsonObject? Proxy { get; }
    public ImmutableArray<JsonObject> Used { get; }

    /// <summary>The merged <c>to</c> conf for the outbound passthrough, for plugins that ask (<see cref="PolicyPlugin.ReadsPassthroughConf"/>).</summary>
    public JsonObject? Passthrough { get; }

    public bool IsEmpty => Proxy is null && Used.IsEmpty && Passthrough is null;

    public bool Equals(ProxyWideConfs? other) => other is not null && _key == other._key;
    public override bool Equals(object? obj) => Equals(obj as ProxyWideConfs);
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_key);
}

/// <summary>
/// One proxy's own listeners and clusters, open for proxy-wide changes: a resource is decoded when first asked
/// for, and encoded again only if it changed, was added or was replaced.
/// </summary>
public sealed class ProxyResources
{
    private readonly SortedDictionary<string, XdsResource> _encoded;
    private readonly SortedDictionary<string, IMessage> _decoded = new(StringComparer.Ordinal);
    private readonly HashSet<string> _removed = new(StringComparer.Ordinal);

    internal ProxyResources(IEnumerable<XdsResource> resources)
    {
        _encoded = new SortedDictionary<string, XdsResource>(StringComparer.Ordinal);
        foreach (var r in resources) _encoded[Key(r.TypeUrl, r.Name)] = r;
    }

    public IEnumerable<string> ListenerNames => Names(TypeUrls.Listener);
    public IEnumerable<string> ClusterNames => Names(TypeUrls.Cluster);

    /// <summary>
    /// Listeners whose encoded form holds <paramref name="text"/> (protobuf carries strings verbatim, packed configs
    /// included), so a step that fills in per-proxy values decodes only those; listeners already decoded always count.
    /// </summary>
    public IEnumerable<string> ListenersContaining(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        return ListenerNames.Where(name => _decoded.ContainsKey(Key(TypeUrls.Listener, name))
            || _encoded[Key(TypeUrls.Listener, name)].Payload.Value.Span.IndexOf(utf8) >= 0).ToList();
    }

    /// <summary>The listener with this name, decoded; changes to it are kept. Null when the proxy has none.</summary>
    public Listener? Listener(string name) => (Listener?)Get(TypeUrls.Listener, name);

    /// <summary>The cluster with this name, decoded; changes to it are kept. Null when the proxy has none.</summary>
    public Cluster? Cluster(string name) => (Cluster?)Get(TypeUrls.Cluster, name);

    /// <summary>Adds the listener, or replaces the one with its name.</summary>
    public void Add(Listener listener) => Put(TypeUrls.Listener, listener.Name, listener);

    /// <summary>Adds the cluster, or replaces the one with its name.</summary>
    public void Add(Cluster cluster) => Put(TypeUrls.Cluster, cluster.Name, cluster);

    public bool RemoveListener(string name) => Remove(TypeUrls.Listener, name);

    /// <summary>What a plugin could not apply to this proxy and left out (the proxy's <c>_overview</c> lists it).</summary>
    public void ReportError(PolicyError error) => _errors.Add(error);

    internal IReadOnlyList<PolicyError> Errors => _errors;

    private readonly List<PolicyError> _errors = [];
    public bool RemoveCluster(string name) => Remove(TypeUrls.Cluster, name);

    private List<string> Names(string typeUrl)
    {
        var prefix = typeUrl + "\n";
        return _encoded.Keys.Concat(_decoded.Keys).Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && !_removed.Contains(k))
            .Select(k => k[prefix.Length..]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    private IMessage? Get(string typeUrl, string name)
    {
        var key = Key(typeUrl, name);
        if (_removed.Contains(key)) return null;
        if (_decoded.TryGetValue(key, out var message)) return message;
        if (!_encoded.TryGetValue(key, out var encoded)) return null;
        message = typeUrl == TypeUrls.Listener ? encoded.Payload.Unpack<Listener>() : encoded.Payload.Unpack<Cluster>();
        _decoded[key] = message;
        return message;
    }

    private void Put(string typeUrl, string name, IMessage message)
    {
        var key = Key(typeUrl, name);
        _removed.Remove(key);
        _decoded[key] = message;
    }

    private bool Remove(string typeUrl, string name)
    {
        var key = Key(typeUrl, name);
        var existed = !_removed.Contains(key) && (_encoded.ContainsKey(key) || _decoded.ContainsKey(key));
        _removed.Add(key);
        return existed;
    }

    /// <summary>The resources of one type after every change, in name order.</summary>
    internal IEnumerable<XdsResource> Result(string typeUrl)
    {
        foreach (var name in Names(typeUrl))
        {
            var key = Key(typeUrl, name);
            if (!_decoded.TryGetValue(key, out var message))
            {
                yield return _encoded[key];
                continue;
            }
            // A resource only read (matched by its tags, scanned for placeholders) stays the shared instance
            // the units made, rather than becoming this proxy's own copy of the same bytes.
            var unchanged = _encoded.TryGetValue(key, out var original) && original.Payload.Value.Span.SequenceEqual(message.ToByteString().Span);
            yield return unchanged ? original! : XdsResource.Encode(name, message);
        }
    }

    private static string Key(string typeUrl, string name) => typeUrl + "\n" + name;
}

/// <summary>A part of a policy that a proxy did not get because applying it failed, and why (shown in <c>_overview</c>).</summary>
/// <param name="Type">The policy type.</param>
/// <param name="Resource">What it was applied to, e.g. <c>cluster backend</c>.</param>
public sealed record PolicyError(string Type, string Resource, string Message);
