using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Kuma.Gateway.Dp.Hub;
using Kuma.Grains;
using Kuma.Policies;
using Kuma.Policies.Rules;
using Kuma.Resources;
using Kuma.Validation;
using Kuma.Xds.Generation;
using Kuma.Xds.Inspect;

namespace Kuma.Gateway.Api;

/// <summary>
/// <c>/meshes/{mesh}/dataplanes/{name}/_overview</c>: the dataplane with its insight (connected or not,
/// through which gateway, since when, and per xDS type what was sent, acknowledged and rejected).
/// For a proxyless client, also what of the policies it does not get. <c>/_config</c>: the config the proxy currently
/// gets, as Envoy JSON. <c>/_rules</c>: the merged policies.
/// And per policy, <c>/_resources/dataplanes</c>: the dataplanes it selects.
/// </summary>
public sealed class InspectEndpoints(IGrainFactory grains, MeshHub<MeshContext> hub)
{
    public Task HandleAsync(HttpContext context, ApiRoute route, string tenant) => route.View switch
    {
        "_config" => ConfigAsync(context, tenant, route.Mesh!, route.Name!),
        "_rules" => RulesAsync(context, tenant, route.Mesh!, route.Name!),
        ApiRoute.DataplanesView => SelectedDataplanesAsync(context, tenant, route.Mesh!, route.Plural!, route.Name!),
        _ => OverviewAsync(context, tenant, route.Mesh!, route.Name!),
    };

    /// <summary>
    /// The mesh's context at its current generation. Streams of the mesh served here already hold it, with every proxy
    /// config they asked for built; otherwise it is built now, from whatever older view this node has.
    /// </summary>
    private async Task<MeshContext?> ContextAsync(string tenant, string mesh)
    {
        var snapshot = await grains.GetGrain<IMeshGrain>(GrainKeys.Mesh(tenant, mesh)).GetSnapshot();
        if (snapshot is null) return null;
        var latest = hub.Latest(tenant, mesh);
        return latest is not null && latest.Generation == snapshot.Generation ? latest : MeshContext.Build(snapshot, latest);
    }

    private async Task<MeshContext> RequiredContextAsync(string tenant, string mesh) =>
        await ContextAsync(tenant, mesh) ?? throw new ApiException(StatusCodes.Status404NotFound, "Failed to retrieve Mesh", "Not found");

    /// <summary><c>_rules</c>: what every policy type merges to for this dataplane, with the policies behind each conf.</summary>
    private async Task RulesAsync(HttpContext context, string tenant, string mesh, string name)
    {
        var meshContext = await RequiredContextAsync(tenant, mesh);
        var snapshot = meshContext.Snapshot;
        if (!snapshot.ByType.TryGetValue(ResourceTypes.Dataplane.Name, out var dataplanes) || !dataplanes.TryGetValue(name, out var dataplane))
            throw new ApiException(StatusCodes.Status404NotFound, $"Could not retrieve {ResourceTypes.Dataplane.Name}", "Not found");
        var inspection = new RulesInspection(snapshot, meshContext);
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w => inspection.Write(w, dataplane));
    }

    /// <summary>
    /// <c>/meshes/{mesh}/{policies}/{name}/_resources/dataplanes</c>: the dataplanes the policy's top-level targetRef
    /// selects, in name order, filtered by <c>name</c> (substring) and paged by <c>size</c> and a numeric <c>offset</c>.
    /// </summary>
    private async Task SelectedDataplanesAsync(HttpContext context, string tenant, string mesh, string plural, string name)
    {
        var typeIndex = PolicyTypes.All.ToList().FindIndex(t => t.Descriptor.Plural == plural);
        if (typeIndex < 0) throw ApiException.NotFound();
        var size = ResourceEndpoints.PageSize(context.Request.Query);
        var offset = ResourceEndpoints.IndexOffset(context.Request.Query);
        var nameContains = context.Request.Query.TryGetValue("name", out var nameText) ? nameText.ToString() : "";

        var meshContext = await RequiredContextAsync(tenant, mesh);
        var snapshot = meshContext.Snapshot;
        var policyType = PolicyTypes.All[typeIndex];
        if (!snapshot.ByType.TryGetValue(policyType.Name, out var policies) || !policies.ContainsKey(name))
            throw new ApiException(StatusCodes.Status404NotFound, "Could not retrieve policy", "Not found");
        var policy = meshContext.Policies.Items[typeIndex].First(p => p.Name == name);
        var stored = snapshot.ByType.TryGetValue(ResourceTypes.Dataplane.Name, out var byName) ? byName : ImmutableSortedDictionary<string, StoredResource>.Empty;
        var selected = meshContext.Dataplanes
            .Where(d => d.Key.Contains(nameContains, StringComparison.Ordinal))
            .Where(d => PolicyMatcher.Selects(meshContext.FactsFor(d.Key, d.Value), policy, meshContext.Policies.Routes))
            .Select(d => stored[d.Key])
            .ToList();
        var page = selected.Skip(offset).Take(size).ToList();
        var next = offset + page.Count < selected.Count
            ? ResourceEndpoints.NextUrl(context.Request, (offset + page.Count).ToString(CultureInfo.InvariantCulture))
            : null;
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("items");
            foreach (var dataplane in page)
            {
                w.WriteStartObject();
                w.WriteStartObject("labels");
                foreach (var (key, value) in dataplane.Labels) w.WriteString(key, value);
                w.WriteEndObject();
                w.WriteString("mesh", mesh);
                w.WriteString("name", dataplane.Key.Name);
                w.WriteString("type", ResourceTypes.Dataplane.Name);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (next is not null) w.WriteString("next", next);
            w.WriteNumber("total", selected.Count);
            w.WriteEndObject();
        });
    }

    private async Task OverviewAsync(HttpContext context, string tenant, string mesh, string name)
    {
        var dataplane = await grains.GetGrain<IResourceReaderGrain>(0).Get(new ResourceKey(tenant, ResourceTypes.Dataplane.Name, mesh, name));
        var insight = await grains.GetGrain<IDataplaneSessionGrain>(SessionKeys.Dataplane(tenant, mesh, name)).GetInsight();
        if (dataplane is null && insight is null) throw new ApiException(StatusCodes.Status404NotFound, "Could not retrieve a resource", "Not found");
        var notApplied = insight?.Client is { Proxyless: true } client ? await NotAppliedAsync(tenant, mesh, name, client) : null;
        var policyErrors = dataplane is null ? [] : await PolicyErrorsAsync(tenant, mesh, name);
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            // Without a Dataplane (a proxyless client's stream) there is still its insight to show.
            DataplaneOverviewJson.WriteFields(w, mesh, name, dataplane, insight ?? DataplaneOverviewJson.NeverConnected);
            if (notApplied is not null) WriteNotApplied(w, notApplied.Value);
            if (policyErrors.Length > 0) WritePolicyErrors(w, policyErrors);
            w.WriteEndObject();
        });
    }

    /// <summary>What of the policies a proxyless client does not get, for the services it subscribed to (none when its mesh is gone).</summary>
    private async Task<ImmutableArray<NotApplied>?> NotAppliedAsync(string tenant, string mesh, string name, StreamClient client)
    {
        var context = await ContextAsync(tenant, mesh);
        if (context is null) return null;
        return PoliciesNotApplied.For(context, name, PoliciesNotApplied.ServicesOf(context, client));
    }

    /// <summary>What of the policies failed to apply to the dataplane's config and was left out (none when its mesh is gone).</summary>
    private async Task<ImmutableArray<PolicyError>> PolicyErrorsAsync(string tenant, string mesh, string name)
    {
        var context = await ContextAsync(tenant, mesh);
        // Only some proxy-wide steps report errors; without policies of such types there is nothing to build the config for.
        var proxyWide = PolicyTypes.All.Any(t => t.Plugin?.ReportsErrors == true && context?.Snapshot.ByType.TryGetValue(t.Name, out var items) == true && !items.IsEmpty);
        return context is null || !proxyWide ? [] : context.ForProxy(name).PolicyErrors;
    }

    /// <summary>Our extension of Kuma's overview (Kuma fails the proxy's whole update instead): policy parts the proxy did not get, and why.</summary>
    private static void WritePolicyErrors(Utf8JsonWriter w, ImmutableArray<PolicyError> errors)
    {
        w.WriteStartArray("policyErrors");
        foreach (var error in errors)
        {
            w.WriteStartObject();
            w.WriteString("type", error.Type);
            w.WriteString("resource", error.Resource);
            w.WriteString("message", error.Message);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>Our extension of Kuma's overview (Kuma has no proxyless clients): the parts of policies such a client does not get.</summary>
    private static void WriteNotApplied(Utf8JsonWriter w, ImmutableArray<NotApplied> notApplied)
    {
        w.WriteStartArray("policiesNotApplied");
        foreach (var item in notApplied)
        {
            w.WriteStartObject();
            w.WriteString("type", item.Type);
            w.WriteString("service", item.Service);
            w.WriteString("field", item.Field);
            w.WriteStartArray("policies");
            foreach (var policy in item.Policies) w.WriteStringValue(policy);
            w.WriteEndArray();
            w.WriteString("reason", item.Reason);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>
    /// A proxyless client gets what it subscribed to by name, found as the ADS server finds it, whether or not it has
    /// a Dataplane; any other proxy the sidecar view of its Dataplane. The answer is in Kuma's shape unless the caller
    /// asks for ours (see <see cref="ConfigQuery"/>).
    /// </summary>
    private async Task ConfigAsync(HttpContext context, string tenant, string mesh, string name)
    {
        var meshContext = await RequiredContextAsync(tenant, mesh);
        var query = ConfigQuery.Parse(context.Request.Query);
        var insight = await grains.GetGrain<IDataplaneSessionGrain>(SessionKeys.Dataplane(tenant, mesh, name)).GetInsight();
        var proxy = meshContext.ForProxy(name);
        var client = insight?.Client is { Proxyless: true } proxyless ? proxyless : null;
        if (client is null && !proxy.DataplaneExists)
            throw new ApiException(StatusCodes.Status404NotFound, query.Kuma ? "Failed to fetch dataplane insight" : "Could not retrieve a resource", "Not found");
        if (!query.Kuma)
        {
            var dump = client is null ? ConfigDump.Render(proxy) : ConfigDump.RenderSubscribed(proxy, client);
            await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w => dump.WriteTo(w));
            return;
        }
        var xds = client is null ? KumaConfigDump.Render(proxy) : KumaConfigDump.RenderSubscribed(proxy, client);
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            // Kuma's diff is between the config with shadow policies and the current one. Policies marked
            // kuma.io/effect: shadow are not told apart here, so both are the same config and the patch is empty.
            if (query.IncludeDiff)
            {
                w.WriteStartArray("diff");
                w.WriteEndArray();
            }
            w.WritePropertyName("xds");
            xds.WriteTo(w);
            w.WriteEndObject();
        });
    }
}
