using System.Collections.Immutable;
using System.Globalization;
using Kuma.Grains;
using Kuma.Policies;
using Kuma.Resources;
using Kuma.Validation;

namespace Kuma.Gateway.Api;

/// <summary>
/// Kuma's insight views, computed when asked from each mesh's snapshot and its dataplanes' session grains (this
/// control plane keeps no insight resources): dataplane overviews with filters, mesh insights, service insights
/// and the tenant's global insight.
/// </summary>
public sealed class InsightEndpoints(IGrainFactory grains, ResourceEndpoints resources)
{
    private IResourceReaderGrain Reader => grains.GetGrain<IResourceReaderGrain>(0);

    public Task HandleAsync(HttpContext context, ApiRoute route, string tenant) => route.Kind switch
    {
        RouteKind.DataplaneOverviews => OverviewsAsync(context, tenant, route.Mesh!),
        RouteKind.MeshInsights when route.Mesh is { } mesh => MeshInsightAsync(context, tenant, mesh),
        RouteKind.MeshInsights => MeshInsightListAsync(context, tenant),
        RouteKind.ServiceInsights => ServiceInsightsAsync(context, tenant, route.Mesh!, route.Name),
        _ => GlobalInsightAsync(context, tenant),
    };

    private async Task<MeshSnapshot> RequiredSnapshotAsync(string tenant, string mesh) =>
        await grains.GetGrain<IMeshGrain>(GrainKeys.Mesh(tenant, mesh)).GetSnapshot()
        ?? throw new ApiException(StatusCodes.Status404NotFound, "Failed to retrieve Mesh", "Not found");

    /// <summary>
    /// <c>/meshes/{mesh}/dataplanes/_overview</c>: Kuma's filters (<c>name</c> substring, <c>filter[labels.k]</c>,
    /// <c>gateway</c>=true|false|builtin|delegated, <c>tag</c>=key:value matched as a substring on any inbound or the
    /// gateway) and ours (<c>online</c>=true|false), then the page. Only the page's session grains are asked, unless
    /// <c>online</c> filters, which needs every matching dataplane's insight.
    /// </summary>
    private async Task OverviewsAsync(HttpContext context, string tenant, string mesh)
    {
        var q = context.Request.Query;
        var query = ResourceEndpoints.ParseQuery(q, tenant, ResourceTypes.Dataplane, mesh);
        var gateway = GatewayFilter(q);
        var tags = TagFilter(q);
        bool? online = q.TryGetValue("online", out var onlineText) && onlineText.ToString().Length > 0
            ? bool.TryParse(onlineText, out var o) ? o : throw ApiException.Invalid([new FieldError("online", $"must be true or false, got {onlineText}")])
            : null;

        var snapshot = await RequiredSnapshotAsync(tenant, mesh);
        var matching = DataplaneStatuses.Parse(snapshot)
            .Where(d => query.NameContains is null || d.Resource.Key.Name.Contains(query.NameContains, StringComparison.Ordinal))
            .Where(d => query.Labels.All(l => d.Resource.Labels.TryGetValue(l.Key, out var v) && v == l.Value))
            .Where(d => gateway(DataplaneView.GatewayTypeOf(d.Spec)))
            .Where(d => tags.Count == 0 || (d.Spec.Networking?.Inbound ?? []).Any(i => MatchesFuzzy(tags, i.Tags)) || MatchesFuzzy(tags, d.Spec.Networking?.Gateway?.Tags))
            .ToList();
        var cancellation = context.RequestAborted;
        var candidates = matching;
        ImmutableArray<DataplaneView>? known = null;
        if (online is { } wanted)
        {
            known = (await DataplaneStatuses.ReadAsync(grains, tenant, mesh, matching, cancellation)).Where(v => v.Online == wanted).ToImmutableArray();
            candidates = [.. known.Value.Select(v => (v.Resource, v.Spec))];
        }

        var start = ResourceEndpoints.NumericOffset(q) is { } index
            ? Math.Min(index, candidates.Count)
            : query.After is { } after ? CountUpTo(candidates, after.Name) : 0;
        var page = candidates.Skip(start).Take(query.Size).ToList();
        var views = known is { } all
            ? all.Skip(start).Take(query.Size).ToImmutableArray()
            : await DataplaneStatuses.ReadAsync(grains, tenant, mesh, page, cancellation);
        var next = start + page.Count < candidates.Count
            ? ResourceEndpoints.NextUrl(context.Request, ResourceEndpoints.EncodeOffset(mesh, page[^1].Resource.Key.Name))
            : null;
        await JsonResponse.WriteListAsync(context, candidates.Count, views, DataplaneOverviewJson.Write, next);
    }

    /// <summary>How many of the name-ordered <paramref name="items"/> sort at or before the cursor's name.</summary>
    private static int CountUpTo(List<(StoredResource Resource, Resources.Core.DataplaneSpec Spec)> items, string name)
    {
        var count = 0;
        while (count < items.Count && string.CompareOrdinal(items[count].Resource.Key.Name, name) <= 0) count++;
        return count;
    }

    private static Func<string?, bool> GatewayFilter(IQueryCollection q)
    {
        var mode = q.TryGetValue("gateway", out var text) ? text.ToString().ToLowerInvariant() : "";
        return mode switch
        {
            "" => _ => true,
            "true" => type => type is not null,
            "false" => type => type is null,
            "builtin" => type => type == "BUILTIN",
            "delegated" => type => type == "DELEGATED",
            _ => throw ApiException.Invalid([new FieldError("gateway", $"shoud use `true`, `false`, 'builtin' or 'delegated' instead of {mode}")]),
        };
    }

    /// <summary><c>tag=key:value</c>, repeated; the value may hold colons; malformed ones are ignored, as Kuma ignores them.</summary>
    private static Dictionary<string, string> TagFilter(IQueryCollection q)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in q.TryGetValue("tag", out var values) ? values : default)
        {
            if (value?.Split(':', 2) is [var key, var tagValue]) tags[key] = tagValue;
        }
        return tags;
    }

    private static bool MatchesFuzzy(Dictionary<string, string> selector, Dictionary<string, string>? tags) =>
        selector.All(s => tags is not null && tags.TryGetValue(s.Key, out var value) && (s.Value == "*" || value.Contains(s.Value, StringComparison.Ordinal)));

    private async Task MeshInsightAsync(HttpContext context, string tenant, string mesh)
    {
        var insight = await ComputeMeshInsightAsync(tenant, await RequiredSnapshotAsync(tenant, mesh), context.RequestAborted);
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, insight.Write);
    }

    /// <summary><c>/mesh-insights</c>: paged over the tenant's meshes as <c>/meshes</c> is; one insight per mesh of the page.</summary>
    private async Task MeshInsightListAsync(HttpContext context, string tenant)
    {
        var (page, next) = await resources.PageAsync(context, ResourceTypes.Mesh, tenant, null);
        var insights = new List<MeshInsight>();
        foreach (var mesh in page.Items)
        {
            // A mesh deleted between the list and its snapshot is left out.
            if (await grains.GetGrain<IMeshGrain>(GrainKeys.Mesh(tenant, mesh.Key.Name)).GetSnapshot() is { } snapshot)
                insights.Add(await ComputeMeshInsightAsync(tenant, snapshot, context.RequestAborted));
        }
        await JsonResponse.WriteListAsync(context, page.Total, insights, (w, insight) => insight.Write(w), next);
    }

    private async Task<MeshInsight> ComputeMeshInsightAsync(string tenant, MeshSnapshot snapshot, CancellationToken cancellation)
    {
        var views = await DataplaneStatuses.ReadAsync(grains, tenant, snapshot.Mesh, DataplaneStatuses.Parse(snapshot), cancellation);
        // Secrets are not in the snapshot; the store counts them.
        var secrets = await Reader.List(new ResourceQuery { Tenant = tenant, Type = ResourceTypes.Secret.Name, Mesh = snapshot.Mesh, Size = 1 });
        var counts = ImmutableSortedDictionary.CreateBuilder<string, long>(StringComparer.Ordinal);
        foreach (var (type, items) in snapshot.ByType)
        {
            if (items.Count > 0 && (type == ResourceTypes.Dataplane.Name || PolicyTypes.Catalog.FindByName(type) is { IsPolicy: true })) counts[type] = items.Count;
        }
        if (secrets.Total > 0) counts[ResourceTypes.Secret.Name] = secrets.Total;
        return MeshInsight.From(snapshot.MeshResource, views, counts.ToImmutable());
    }

    /// <summary>
    /// <c>/meshes/{mesh}/service-insights[/{service}]</c>: one entry per <c>kuma.io/service</c> of the mesh's inbounds and
    /// gateways, in name order, filtered by <c>name</c> and <c>type</c>, paged by <c>size</c> and a numeric <c>offset</c>
    /// as Kuma pages them (the services are computed per request, so there is no stored order to hold a cursor to).
    /// </summary>
    private async Task ServiceInsightsAsync(HttpContext context, string tenant, string mesh, string? service)
    {
        var snapshot = await RequiredSnapshotAsync(tenant, mesh);
        var q = context.Request.Query;
        var size = ResourceEndpoints.PageSize(q);
        var offset = service is null ? ResourceEndpoints.IndexOffset(q) : 0;
        var types = ServiceTypeFilter(q);
        var views = await DataplaneStatuses.ReadAsync(grains, tenant, mesh, DataplaneStatuses.Parse(snapshot), context.RequestAborted);
        var services = ServiceInsight.From(snapshot.MeshResource, views);
        if (service is not null)
        {
            var one = services.FirstOrDefault(s => s.Name == service) ?? ServiceInsight.Empty(snapshot.MeshResource, service);
            await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, one.Write);
            return;
        }
        var nameContains = q.TryGetValue("name", out var nameText) ? nameText.ToString() : "";
        var matching = services.Where(s => s.Name.Contains(nameContains, StringComparison.Ordinal) && (types is null || types.Contains(s.Type))).ToList();
        var page = matching.Skip(offset).Take(size).ToList();
        var next = offset + size < matching.Count ? ResourceEndpoints.NextUrl(context.Request, (offset + size).ToString(CultureInfo.InvariantCulture)) : null;
        await JsonResponse.WriteListAsync(context, matching.Count, page, (w, item) => item.Write(w), next);
    }

    private static HashSet<string>? ServiceTypeFilter(IQueryCollection q)
    {
        var text = q.TryGetValue("type", out var value) ? value.ToString() : "";
        if (text.Length == 0) return null;
        var types = new HashSet<string>(StringComparer.Ordinal);
        foreach (var part in text.Split(','))
        {
            var type = part.Trim().ToLowerInvariant();
            if (!ServiceInsight.Types.Contains(type))
                throw new ApiException(StatusCodes.Status400BadRequest, "Invalid response type", "unsupported service type");
            types.Add(type);
        }
        return types;
    }

    /// <summary>
    /// <c>/global-insight</c>: every mesh of the tenant (read a page of 1000 at a time) with its dataplanes' statuses.
    /// The work is bounded by the tenant's mesh and dataplane quotas, and by <see cref="DataplaneStatuses.ReadsInFlight"/>.
    /// </summary>
    private async Task GlobalInsightAsync(HttpContext context, string tenant)
    {
        var global = new GlobalInsight();
        (string, string)? after = null;
        while (true)
        {
            var meshes = await Reader.List(new ResourceQuery { Tenant = tenant, Type = ResourceTypes.Mesh.Name, Size = 1000, After = after });
            foreach (var mesh in meshes.Items)
            {
                if (await grains.GetGrain<IMeshGrain>(GrainKeys.Mesh(tenant, mesh.Key.Name)).GetSnapshot() is not { } snapshot) continue;
                var insight = await ComputeMeshInsightAsync(tenant, snapshot, context.RequestAborted);
                global.Add(insight, ServiceInsight.From(snapshot.MeshResource, insight.Dataplanes));
            }
            if (!meshes.HasMore || meshes.Items.IsEmpty) break;
            after = (meshes.Items[^1].Key.Mesh, meshes.Items[^1].Key.Name);
        }
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w => global.Write(w, DateTimeOffset.UtcNow));
    }
}
