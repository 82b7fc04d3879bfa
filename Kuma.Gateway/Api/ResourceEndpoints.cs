using Kuma.Policies;
using System.Buffers.Text;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Kuma.Grains;
using Kuma.Resources;
using Kuma.Validation;
using Microsoft.Extensions.Primitives;

namespace Kuma.Gateway.Api;

/// <summary>GET, list, PUT and DELETE of every resource type, within one tenant.</summary>
public sealed class ResourceEndpoints(IGrainFactory grains, ApiOptions options)
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;

    private IResourceReaderGrain Reader => grains.GetGrain<IResourceReaderGrain>(0);

    public Task HandleAsync(HttpContext context, ApiRoute route, string tenant)
    {
        var descriptor = (route.Plural == ResourceTypes.Mesh.Plural ? ResourceTypes.Mesh : PolicyTypes.Catalog.FindByPlural(route.Plural!))
            is { SystemOnly: false } d ? d : throw ApiException.NotFound($"unknown resource type: {route.Plural}");
        var meshScoped = descriptor.Scope == ResourceScope.Mesh;
        if (route.Kind == RouteKind.Item && meshScoped && route.Mesh is null) throw ApiException.NotFound();
        if (!meshScoped && route.Mesh is not null) throw ApiException.NotFound($"{descriptor.Name} is not a mesh-scoped resource");

        if (route.Kind == RouteKind.List)
        {
            ApiDispatcher.RequireMethod(context, HttpMethods.Get);
            return ListAsync(context, descriptor, tenant, route.Mesh);
        }
        var key = new ResourceKey(tenant, descriptor.Name, route.Mesh ?? "", route.Name!);
        // A name no resource of this type can have is not there; a PUT of one is answered by the body's checks.
        if (!HttpMethods.IsPut(context.Request.Method) && descriptor.CheckName(key.Name) is not null)
            throw new ApiException(StatusCodes.Status404NotFound, "Could not retrieve a resource", "Not found");
        return context.Request.Method switch
        {
            var m when HttpMethods.IsGet(m) => GetAsync(context, descriptor, key),
            var m when HttpMethods.IsPut(m) => PutAsync(context, descriptor, key),
            var m when HttpMethods.IsDelete(m) => DeleteAsync(context, descriptor, key),
            var m => throw ApiException.MethodNotAllowed(m),
        };
    }

    private async Task GetAsync(HttpContext context, ResourceDescriptor descriptor, ResourceKey key)
    {
        var resource = await Reader.Get(key)
            ?? throw new ApiException(StatusCodes.Status404NotFound, "Could not retrieve a resource", "Not found");
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w => ResourceJson.Write(w, resource, descriptor), JsonResponse.ETag(resource.Version));
    }

    /// <summary>The page a list request asks for, and the link to the next one (its stable cursor) when there is more.</summary>
    internal async Task<(ResourcePage Page, string? Next)> PageAsync(HttpContext context, ResourceDescriptor descriptor, string tenant, string? mesh)
    {
        var query = ParseQuery(context.Request.Query, tenant, descriptor, mesh);
        if (mesh is not null) await RequireMesh(tenant, mesh);
        if (NumericOffset(context.Request.Query) is { } index) query = query with { After = await CursorAtIndex(query, index) };
        var page = await Reader.List(query);
        string? next = null;
        if (page.HasMore)
        {
            var last = page.Items[^1].Key;
            next = NextUrl(context.Request, EncodeOffset(last.Mesh, last.Name));
        }
        return (page, next);
    }

    private async Task ListAsync(HttpContext context, ResourceDescriptor descriptor, string tenant, string? mesh)
    {
        var (page, next) = await PageAsync(context, descriptor, tenant, mesh);
        await JsonResponse.WriteListAsync(context, page.Total, page.Items, (w, item) => ResourceJson.Write(w, item, descriptor), next);
    }

    private async Task RequireMesh(string tenant, string mesh)
    {
        if (await Reader.Get(ResourceKey.Global(tenant, ResourceTypes.Mesh.Name, mesh)) is null)
            throw new ApiException(StatusCodes.Status404NotFound, "Failed to retrieve Mesh", "Not found");
    }

    private async Task PutAsync(HttpContext context, ResourceDescriptor descriptor, ResourceKey key)
    {
        var body = await RequestBody.ReadObjectAsync(context.Request, options.MaxBodyBytes, context.RequestAborted);
        var parsed = ResourceJson.Parse(body, descriptor, key.Mesh.Length > 0 ? key.Mesh : null, key.Name);

        var write = new ResourceWrite { Key = key, SpecJson = parsed.SpecJson, Labels = parsed.Labels, ExpectedVersion = IfMatch(context.Request) };
        var tenantGrain = grains.GetGrain<ITenantGrain>(GrainKeys.Tenant(key.Tenant));
        var result = descriptor switch
        {
            _ when descriptor == ResourceTypes.Mesh => await tenantGrain.PutMesh(write),
            { Scope: ResourceScope.Mesh } => await grains.GetGrain<IMeshGrain>(GrainKeys.Mesh(key.Tenant, key.Mesh)).Put(write),
            _ => await tenantGrain.PutGlobal(write),
        };
        var warnings = result.Status is WriteStatus.Created or WriteStatus.Updated ? Deprecations.Of(descriptor, key.Name, parsed.SpecJson) : [];
        await Answer(context, result, "Could not process a resource", descriptor.Scope == ResourceScope.Mesh ? "Failed to retrieve Mesh" : "Not found", warnings);
    }

    private async Task DeleteAsync(HttpContext context, ResourceDescriptor descriptor, ResourceKey key)
    {
        var expected = IfMatch(context.Request);
        var tenantGrain = grains.GetGrain<ITenantGrain>(GrainKeys.Tenant(key.Tenant));
        var result = descriptor switch
        {
            _ when descriptor == ResourceTypes.Mesh => await tenantGrain.DeleteMesh(key.Name, expected),
            { Scope: ResourceScope.Mesh } => await grains.GetGrain<IMeshGrain>(GrainKeys.Mesh(key.Tenant, key.Mesh)).Delete(key.Type, key.Name, expected),
            _ => await tenantGrain.DeleteGlobal(key.Type, key.Name, expected),
        };
        await Answer(context, result, "Could not delete a resource", "Could not delete a resource");
    }

    /// <summary>Maps a grain's answer onto Kuma's status codes and titles.</summary>
    /// <param name="warnings">Kuma's deprecation warnings for a written resource: <c>{"warnings": [...]}</c>, or <c>{}</c> without any.</param>
    internal static Task Answer(HttpContext context, WriteResult result, string invalidTitle, string notFoundTitle, IReadOnlyList<string>? warnings = null)
    {
        var etag = result.Resource is { } r ? JsonResponse.ETag(r.Version) : null;
        return result.Status switch
        {
            WriteStatus.Created => WrittenAsync(context, StatusCodes.Status201Created, etag, warnings),
            WriteStatus.Updated => WrittenAsync(context, StatusCodes.Status200OK, etag, warnings),
            WriteStatus.Deleted => JsonResponse.EmptyAsync(context, StatusCodes.Status200OK, etag),
            WriteStatus.NotFound => throw new ApiException(StatusCodes.Status404NotFound, notFoundTitle, "Not found"),
            WriteStatus.Conflict => throw ApiException.Conflict(result.Message ?? "resource conflict"),
            WriteStatus.QuotaExceeded => throw new ApiException(StatusCodes.Status403Forbidden, "Quota exceeded", result.Message ?? "quota exceeded"),
            _ => throw new ApiException(StatusCodes.Status400BadRequest, invalidTitle, result.Message ?? "Resource is not valid",
                result.Errors.IsDefault ? [] : result.Errors),
        };
    }

    private static Task WrittenAsync(HttpContext context, int status, string? etag, IReadOnlyList<string>? warnings) =>
        warnings is not { Count: > 0 }
            ? JsonResponse.EmptyAsync(context, status, etag)
            : JsonResponse.WriteAsync(context, status, w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("warnings");
                foreach (var warning in warnings) w.WriteStringValue(warning);
                w.WriteEndArray();
                w.WriteEndObject();
            }, etag);

    private static long? IfMatch(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString();
        if (header.Length == 0) return null;
        var value = header.Trim().TrimStart('W', '/').Trim('"');
        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0
            ? version
            : throw ApiException.BadRequest("If-Match must hold a version from an ETag, e.g. \"3\"", [new FieldError("If-Match", "invalid version")]);
    }

    internal static ResourceQuery ParseQuery(IQueryCollection q, string tenant, ResourceDescriptor descriptor, string? mesh)
    {
        foreach (var (key, values) in q)
        {
            if ((StorableText.Problem(key) ?? values.Select(v => StorableText.Problem(v ?? "")).FirstOrDefault(p => p is not null)) is { } problem)
                throw ApiException.BadRequest($"query parameter {key} is not valid", [new FieldError(key, problem)]);
        }
        var size = PageSize(q);
        (string, string)? after = null;
        if (q.TryGetValue("offset", out var offset) && offset.ToString().Length > 0 && NumericOffset(q) is null) after = DecodeOffset(offset.ToString());

        var labels = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in q)
        {
            if (!key.StartsWith("filter[", StringComparison.Ordinal)) continue;
            if (!key.EndsWith(']') || !key.StartsWith("filter[labels.", StringComparison.Ordinal))
                throw ApiException.Invalid([new FieldError(key, "filters are only supported on labels")]);
            labels[key["filter[labels.".Length..^1]] = value.ToString();
        }
        return new ResourceQuery
        {
            Tenant = tenant,
            Type = descriptor.Name,
            Mesh = mesh,
            NameContains = q.TryGetValue("name", out var name) && name.ToString().Length > 0 ? name.ToString() : null,
            Labels = labels.ToImmutable(),
            Size = size,
            After = after,
        };
    }

    /// <summary>The <c>size</c> query parameter, checked as Kuma checks it.</summary>
    internal static int PageSize(IQueryCollection q)
    {
        var size = DefaultPageSize;
        if (q.TryGetValue("size", out var sizeText))
        {
            if (!int.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out size))
                throw ApiException.BadRequest("Invalid page size", [new FieldError("size", "invalid format")]);
            if (size > MaxPageSize)
                throw ApiException.BadRequest("Invalid page size", [new FieldError("size", $"invalid page size of {size}. Maximum page size is {MaxPageSize}")]);
            if (size <= 0) throw ApiException.BadRequest("Invalid page size", [new FieldError("size", "must be greater than 0")]);
        }
        return size;
    }

    /// <summary>
    /// Kuma's offsets are indexes, and clients compute them (size × page). An offset of digits only is read so; our
    /// own cursors always hold letters, so the two never mix up.
    /// </summary>
    internal static int? NumericOffset(IQueryCollection q)
    {
        var text = q.TryGetValue("offset", out var offset) ? offset.ToString() : "";
        if (text.Length == 0 || !text.All(char.IsAsciiDigit)) return null;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? index
            : throw ApiException.BadRequest("invalid offset", [new FieldError("offset", "invalid format")]);
    }

    /// <summary>The offset of a list computed per request, which has no stored order for a cursor: an index only.</summary>
    internal static int IndexOffset(IQueryCollection q) =>
        NumericOffset(q) ?? (q.TryGetValue("offset", out var text) && text.ToString().Length > 0
            ? throw ApiException.BadRequest("invalid offset", [new FieldError("offset", "invalid format")])
            : 0);

    /// <summary>
    /// The cursor after the first <paramref name="index"/> matches, walked in key order a page of at most
    /// <see cref="MaxPageSize"/> at a time: index / 1000 reads, and no index reaches past the tenant's quota of rows.
    /// </summary>
    private async Task<(string, string)?> CursorAtIndex(ResourceQuery query, int index)
    {
        (string, string)? after = null;
        var remaining = index;
        while (remaining > 0)
        {
            var skipped = await Reader.List(query with { Size = Math.Min(remaining, MaxPageSize), After = after });
            if (skipped.Items.IsEmpty) break;
            var last = skipped.Items[^1].Key;
            after = (last.Mesh, last.Name);
            remaining -= skipped.Items.Length;
            if (!skipped.HasMore) break;
        }
        return after;
    }

    /// <summary>The offset is opaque to clients: a cursor after the last (mesh, name) served, so pages never skip or repeat.</summary>
    internal static string EncodeOffset(string mesh, string name) =>
        Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new[] { mesh, name }));

    /// <summary>Our cursors are short; a longer one was not made here.</summary>
    private const int MaxOffsetLength = 1024;

    internal static (string, string) DecodeOffset(string offset)
    {
        try
        {
            var parts = offset.Length <= MaxOffsetLength ? JsonSerializer.Deserialize<string?[]>(Base64Url.DecodeFromChars(offset)) : null;
            if (parts is [{ } mesh, { } name] && StorableText.Problem(mesh) is null && StorableText.Problem(name) is null) return (mesh, name);
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
        }
        throw ApiException.BadRequest("invalid offset", [new FieldError("offset", "invalid format")]);
    }

    internal static string NextUrl(HttpRequest request, string offset)
    {
        var parameters = request.Query
            .Where(p => p.Key != "offset")
            .Append(new KeyValuePair<string, StringValues>("offset", offset))
            .OrderBy(p => p.Key, StringComparer.Ordinal);
        var sb = new StringBuilder($"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}?");
        var first = true;
        foreach (var (key, values) in parameters)
        {
            foreach (var value in values)
            {
                if (!first) sb.Append('&');
                sb.Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value ?? ""));
                first = false;
            }
        }
        return sb.ToString();
    }
}
