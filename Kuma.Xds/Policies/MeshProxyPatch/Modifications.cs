using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Filter = Envoy.Config.Listener.V3.Filter;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using static Kuma.Policies.MeshProxyPatch.MeshProxyPatchPolicy;

namespace Kuma.Policies.MeshProxyPatch;

/// <summary>
/// Applies a proxy's modifications, in order, to its listeners and clusters. Each modification changes a copy of
/// each resource it selects; a copy that could not be changed, or that came out broken (see
/// <see cref="ResourceChecks"/>), is dropped and reported, and the resource stays as it was before that modification.
/// Kuma instead fails the whole proxy's update; keeping the rest of the proxy's config current is kinder.
/// </summary>
/// <param name="listenerOrigin">Kuma's origin of a listener by name (see <see cref="Origins"/>); null for none.</param>
/// <param name="clusterOrigin">The same for clusters.</param>
/// <param name="checkResults">Whether changed resources must pass <see cref="ResourceChecks"/> (off only to compare with Kuma's own tests, whose resources are fragments).</param>
internal sealed class Modifications(ProxyResources resources, Func<string, string?> listenerOrigin, Func<string, string?> clusterOrigin, bool checkResults = true)
{
    public Modifications(ProxyResources resources) : this(resources, Origins.OfListener, Origins.OfCluster) { }

    private const string HttpConnectionManagerName = "envoy.filters.network.http_connection_manager";
    private const string KumaTagsMetadata = "io.kuma.tags";

    // Resources the patches themselves added carry Kuma's origins for added resources.
    private readonly Dictionary<string, string> _addedListeners = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _addedClusters = new(StringComparer.Ordinal);
    private string _current = "";

    public void Apply(IReadOnlyList<Modification> modifications)
    {
        for (var i = 0; i < modifications.Count; i++)
        {
            var m = modifications[i];
            _current = $"appendModifications[{i}]";
            try
            {
                if (m.Cluster is { } cluster) Cluster(cluster);
                else if (m.Listener is { } listener) Listener(listener);
                else if (m.NetworkFilter is { } network) NetworkFilter(network);
                else if (m.HttpFilter is { } http) HttpFilter(http);
                else if (m.VirtualHost is { } host) VirtualHost(host);
            }
            catch (Exception e) when (e is InvalidOperationException or InvalidProtocolBufferException or FormatException or ArgumentException)
            {
                // A resource the JSON forms cannot express (an Any of a type this build does not know): what this
                // modification changed before it failed stays, the resource it failed on does not change.
                resources.ReportError(new PolicyError("MeshProxyPatch", "", $"{_current}: {e.Message}"));
            }
        }
    }

    private void Report(string resource, string message) =>
        resources.ReportError(new PolicyError("MeshProxyPatch", resource, $"{_current}: {message}; left unchanged"));

    // ---- clusters

    private void Cluster(ResourceMod<ClusterMatch> mod)
    {
        switch (mod.Operation)
        {
            case Add:
                if (Parse<Cluster>(mod.Value, "cluster") is not { } added) return;
                if (checkResults && ResourceChecks.Cluster(added) is { } problem)
                {
                    Report($"cluster {added.Name}", problem);
                    return;
                }
                resources.Add(added);
                _addedClusters[added.Name] = Origins.AddedCluster;
                break;
            case Remove:
                foreach (var name in resources.ClusterNames.Where(n => Matches(mod.Match, n)).ToList()) resources.RemoveCluster(name);
                break;
            case Patch:
                var patch = mod.Value is null ? null : Parse<Cluster>(mod.Value, "cluster");
                if (mod.Value is not null && patch is null) return;
                foreach (var name in resources.ClusterNames.Where(n => Matches(mod.Match, n)).ToList())
                {
                    var original = resources.Cluster(name)!;
                    var (patched, error) = PatchMessage(original, patch, mod.JsonPatches);
                    Keep($"cluster {name}", original, patched, error, ResourceChecks.Cluster, p =>
                    {
                        if (p.Name != name) resources.RemoveCluster(name);
                        resources.Add(p);
                    });
                }
                break;
        }
    }

    private bool Matches(ClusterMatch? match, string name) =>
        match is null
        || ((match.Name is null || match.Name == name)
            && (match.Origin is null || match.Origin == (_addedClusters.GetValueOrDefault(name) ?? clusterOrigin(name))));

    // ---- listeners

    private void Listener(ResourceMod<ListenerMatch> mod)
    {
        switch (mod.Operation)
        {
            case Add:
                if (Parse<Listener>(mod.Value, "listener") is not { } added) return;
                if (checkResults && ResourceChecks.Listener(added) is { } problem)
                {
                    Report($"listener {added.Name}", problem);
                    return;
                }
                resources.Add(added);
                _addedListeners[added.Name] = Origins.AddedListener;
                break;
            case Remove:
                foreach (var name in Listeners(mod.Match?.Name, mod.Match?.Origin, mod.Match?.Tags)) resources.RemoveListener(name);
                break;
            case Patch:
                var patch = mod.Value is null ? null : Parse<Listener>(mod.Value, "listener");
                if (mod.Value is not null && patch is null) return;
                foreach (var name in Listeners(mod.Match?.Name, mod.Match?.Origin, mod.Match?.Tags))
                {
                    var original = resources.Listener(name)!;
                    var (patched, error) = PatchMessage(original, patch, mod.JsonPatches);
                    Keep($"listener {name}", original, patched, error, ResourceChecks.Listener, p =>
                    {
                        if (p.Name != name) resources.RemoveListener(name);
                        resources.Add(p);
                    });
                }
                break;
        }
    }

    /// <summary>The names of the listeners selected by name, origin and tags (each only when given).</summary>
    private List<string> Listeners(string? name, string? origin, Dictionary<string, string>? tags) =>
        [.. resources.ListenerNames.Where(n =>
            (name is null || Origins.ListenerNameMatches(name, n))
            && (origin is null || origin == (_addedListeners.GetValueOrDefault(n) ?? listenerOrigin(n)))
            && (tags is not { Count: > 0 } || TagsMatch(tags, resources.Listener(n)!)))];

    /// <summary>Kuma's tag selector against the tags a listener carries in its metadata; <c>*</c> matches any value.</summary>
    private static bool TagsMatch(Dictionary<string, string> selector, Listener listener)
    {
        var fields = listener.Metadata?.FilterMetadata.GetValueOrDefault(KumaTagsMetadata)?.Fields;
        return selector.All(s => fields is not null && fields.TryGetValue(s.Key, out var v) && (s.Value == "*" || v.StringValue == s.Value));
    }

    // ---- network filters

    private void NetworkFilter(ResourceMod<FilterMatch> mod)
    {
        var filter = mod.Value is null ? null : Parse<Filter>(mod.Value, "network filter");
        if (mod.Value is not null && filter is null) return;
        var name = mod.Match?.Name;
        EachListener(mod.Match, chainEdit: chains =>
        {
            foreach (var chain in chains)
            {
                var error = Edit(chain.Filters, f => f.Name, name, mod.Operation, filter,
                    f => PatchTyped(f.TypedConfig, filter?.TypedConfig, mod.JsonPatches, config => f.TypedConfig = config));
                if (error is not null) return error;
            }
            return null;
        });
    }

    // ---- HTTP filters

    private void HttpFilter(ResourceMod<FilterMatch> mod)
    {
        var filter = mod.Value is null ? null : Parse<HttpFilter>(mod.Value, "HTTP filter");
        if (mod.Value is not null && filter is null) return;
        var name = mod.Match?.Name;
        EachListener(mod.Match, chainEdit: chains => EachConnectionManager(chains, (hcm, _) =>
            Edit(hcm.HttpFilters, f => f.Name, name, mod.Operation, filter,
                f => PatchTyped(f.TypedConfig, filter?.TypedConfig, mod.JsonPatches, config => f.TypedConfig = config))));
    }

    // ---- virtual hosts

    private void VirtualHost(ResourceMod<VirtualHostMatch> mod)
    {
        var host = mod.Value is null ? null : Parse<VirtualHost>(mod.Value, "virtual host");
        if (mod.Value is not null && host is null) return;
        var match = mod.Match;
        // Kuma selects the listeners for virtual hosts by origin only.
        var listenerMatch = match?.Origin is { } origin ? new FilterMatch { Origin = origin } : null;
        EachListener(listenerMatch, chainEdit: chains => EachConnectionManager(chains, (hcm, _) =>
        {
            // Connection managers that take routes over RDS have no virtual hosts here; Kuma skips them too.
            if (hcm.RouteConfig is not { } routes) return null;
            if (match?.RouteConfigurationName is { } routeName && routeName != routes.Name) return null;
            bool Selected(VirtualHost h) => match?.Name is null || match.Name == h.Name;
            switch (mod.Operation)
            {
                case Add when host is null:
                    return "value must be defined";
                case Add:
                    routes.VirtualHosts.Add(host.Clone());
                    return null;
                case Remove:
                    foreach (var h in routes.VirtualHosts.Where(Selected).ToList()) routes.VirtualHosts.Remove(h);
                    return null;
                case Patch:
                    for (var i = 0; i < routes.VirtualHosts.Count; i++)
                    {
                        if (!Selected(routes.VirtualHosts[i])) continue;
                        var (patched, error) = PatchMessage(routes.VirtualHosts[i], host, mod.JsonPatches);
                        if (error is not null) return $"virtual host {routes.VirtualHosts[i].Name}: {error}";
                        routes.VirtualHosts[i] = patched!;
                    }
                    return null;
                default:
                    return null;
            }
        }));
    }

    // ---- shared steps

    /// <summary>
    /// Runs <paramref name="chainEdit"/> on a copy of each selected listener's filter chains, and keeps the copy when
    /// the edit succeeded and the listener is still sound.
    /// </summary>
    private void EachListener(FilterMatch? match, Func<IList<FilterChain>, string?> chainEdit)
    {
        foreach (var name in Listeners(match?.ListenerName, match?.Origin, match?.ListenerTags))
        {
            var original = resources.Listener(name)!;
            var copy = original.Clone();
            var error = chainEdit(copy.FilterChains);
            Keep($"listener {name}", original, error is null ? copy : null, error, ResourceChecks.Listener, resources.Add);
        }
    }

    /// <summary>Runs <paramref name="edit"/> on each HTTP connection manager of the chains, writing it back into its filter.</summary>
    private static string? EachConnectionManager(IList<FilterChain> chains, Func<HttpConnectionManager, Filter, string?> edit)
    {
        foreach (var filter in chains.SelectMany(c => c.Filters))
        {
            if (filter.Name != HttpConnectionManagerName || filter.TypedConfig is not { } config || !config.Is(HttpConnectionManager.Descriptor)) continue;
            var hcm = config.Unpack<HttpConnectionManager>();
            if (edit(hcm, filter) is { } error) return error;
            filter.TypedConfig = Any.Pack(hcm);
        }
        return null;
    }

    /// <summary>One filter list changed by one operation; <paramref name="patch"/> changes one matching filter in place.</summary>
    private static string? Edit<T>(IList<T> filters, Func<T, string> nameOf, string? name, string? operation, T? value, Func<T, string?> patch)
        where T : class, IMessage<T>
    {
        if (operation is AddFirst or AddLast or AddBefore or AddAfter && value is null) return "value must be defined";
        bool Selected(T f) => name is null || name == nameOf(f);
        var index = name is null ? -1 : filters.ToList().FindIndex(f => nameOf(f) == name);
        switch (operation)
        {
            case AddFirst:
                filters.Insert(0, value!.Clone());
                break;
            case AddLast:
                filters.Add(value!.Clone());
                break;
            case AddBefore when index >= 0:
                filters.Insert(index, value!.Clone());
                break;
            case AddAfter when index >= 0:
                filters.Insert(index + 1, value!.Clone());
                break;
            case Remove:
                foreach (var f in filters.Where(Selected).ToList()) filters.Remove(f);
                break;
            case Patch:
                foreach (var f in filters.Where(Selected))
                {
                    if (patch(f) is { } error) return $"filter {nameOf(f)}: {error}";
                }
                break;
        }
        return null;
    }

    /// <summary>A filter's typed config merged with the value's, or patched by JSON patches, then put back.</summary>
    private static string? PatchTyped(Any? config, Any? value, List<JsonPatchBlock>? jsonPatches, Action<Any> put)
    {
        var (patched, error) = jsonPatches is { Count: > 0 } ? EnvoyJson.PatchAny(config, jsonPatches) : EnvoyJson.MergeAny(config, value);
        if (error is not null) return error;
        if (patched is not null) put(patched);
        return null;
    }

    /// <summary>A copy of <paramref name="original"/> merged with <paramref name="value"/>, or patched by JSON patches.</summary>
    private static (T? Patched, string? Error) PatchMessage<T>(T original, T? value, List<JsonPatchBlock>? jsonPatches) where T : class, IMessage<T>, new()
    {
        if (jsonPatches is { Count: > 0 }) return EnvoyJson.Patch(original, jsonPatches);
        var copy = original.Clone();
        if (value is not null) EnvoyJson.Merge(copy, value);
        return (copy, null);
    }

    /// <summary>Keeps <paramref name="patched"/> in place of <paramref name="original"/> when it is sound and differs; reports it otherwise.</summary>
    private void Keep<T>(string resource, T original, T? patched, string? error, Func<T, string?> check, Action<T> put) where T : class, IMessage<T>
    {
        if ((error ?? (checkResults ? check(patched!) : null)) is { } problem)
        {
            Report(resource, problem);
            return;
        }
        if (!patched!.Equals(original)) put(patched);
    }

    private T? Parse<T>(string? value, string what) where T : class, IMessage<T>, new()
    {
        if (value is null)
        {
            Report(what, "value must be defined");
            return null;
        }
        var (message, error) = EnvoyJson.FromValue<T>(value);
        if (error is not null) Report(what, $"value is not a valid {what}: {error}");
        return message;
    }
}
