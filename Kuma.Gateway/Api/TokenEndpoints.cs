using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Gateway.Auth;
using Kuma.Grains;
using Kuma.Validation;

namespace Kuma.Gateway.Api;

/// <summary>
/// <c>POST /tokens/user</c>: the admin issues user tokens, each bound to one tenant (or admin tokens bound to none);
/// a tenant's users whom its access rules allow issue tokens of their own tenant.
/// <c>POST /tokens/dataplane</c>: a tenant issues tokens for its proxies.
/// <c>/signing-keys/{user|dataplane}</c>: the admin lists, adds and removes the keys that sign them.
/// </summary>
public sealed class TokenEndpoints(IGrainFactory grains, ApiOptions options, UserTokenVerifier userTokens, Dp.DataplaneAuthenticator dataplaneTokens)
{
    public async Task IssueUserTokenAsync(HttpContext context, Caller caller)
    {
        ApiDispatcher.RequireMethod(context, HttpMethods.Post);
        if (!caller.IsAdmin && !(caller.Access ?? TenantAccess.Default).GenerateUserToken.Allows(caller.Name, caller.GroupList))
            throw AccessDenied();
        var body = await RequestBody.ReadObjectAsync(context.Request, options.MaxBodyBytes, context.RequestAborted);
        var errors = new ValidationErrors();
        var name = ReadString(body, "name", errors);
        var tenant = ReadString(body, "tenant", errors);
        if (!caller.IsAdmin)
        {
            // A tenant's user issues tokens of its own tenant only.
            if (!string.IsNullOrEmpty(tenant) && tenant != caller.Tenant) throw AccessDenied();
            tenant = caller.Tenant;
        }
        var validForText = ReadString(body, "validFor", errors);
        var groups = ReadGroups(body, errors);
        foreach (var key in body.Select(p => p.Key).Where(k => k is not ("name" or "tenant" or "validFor" or "groups")))
            errors.Add(key, "unknown field");

        if (string.IsNullOrEmpty(name)) errors.Add("name", "must be defined");
        var validFor = ReadValidFor(validForText, errors);
        string? tenantUid = null;

        if (string.IsNullOrEmpty(tenant))
        {
            if (!groups.Contains(Caller.AdminGroup))
                errors.Add("tenant", $"must be defined (only tokens of group {Caller.AdminGroup} may be issued without a tenant)");
        }
        else if (Names.CheckDnsLabel(tenant) is { } problem) errors.Add("tenant", problem);
        // Read from the tenant itself, not the edge's cache: the token must name the incarnation that exists now.
        else if (await grains.GetGrain<ITenantGrain>(GrainKeys.Tenant(tenant)).GetLimits() is { } limits) tenantUid = limits.Uid;
        else errors.Add("tenant", $"tenant {tenant} does not exist");
        if (!errors.IsEmpty) throw ApiException.Invalid(errors.ToImmutable());

        var token = await grains.GetGrain<ITokenIssuerGrain>(ITokenIssuerGrain.UserTokens).Issue(new TokenClaims
        {
            Name = name!,
            Groups = groups,
            Tenant = string.IsNullOrEmpty(tenant) ? null : tenant,
            TenantUid = tenantUid,
            ValidFor = validFor,
        });
        await WriteTokenAsync(context, token);
    }

    /// <summary><c>POST /tokens/dataplane</c> <c>{name, mesh, tags, validFor}</c>: a token a proxy of that mesh presents on its ADS stream.</summary>
    public async Task IssueDataplaneTokenAsync(HttpContext context, string tenant)
    {
        ApiDispatcher.RequireMethod(context, HttpMethods.Post);
        var body = await RequestBody.ReadObjectAsync(context.Request, options.MaxBodyBytes, context.RequestAborted);
        var errors = new ValidationErrors();
        var name = ReadString(body, "name", errors);
        var mesh = ReadString(body, "mesh", errors);
        var validForText = ReadString(body, "validFor", errors);
        var tags = ReadTags(body, errors);
        foreach (var key in body.Select(p => p.Key).Where(k => k is not ("name" or "mesh" or "validFor" or "tags" or "type")))
            errors.Add(key, "unknown field");
        if (ReadString(body, "type", errors) is { } type && type != "dataplane") errors.Add("type", "only dataplane tokens are issued here");
        if (name is not null && Names.CheckResourceName(name) is { } nameProblem) errors.Add("name", nameProblem);
        if (string.IsNullOrEmpty(mesh)) errors.Add("mesh", "must be defined");
        var validFor = ReadValidFor(validForText, errors);
        if (!errors.IsEmpty) throw ApiException.Invalid(errors.ToImmutable());

        var snapshot = await grains.GetGrain<IMeshGrain>(GrainKeys.Mesh(tenant, mesh!)).GetSnapshot()
            ?? throw new ApiException(StatusCodes.Status404NotFound, "Failed to retrieve Mesh", "Not found");
        var tenantUid = (await grains.GetGrain<ITenantGrain>(GrainKeys.Tenant(tenant)).GetLimits())?.Uid
            ?? throw new ApiException(StatusCodes.Status404NotFound, "Failed to retrieve Mesh", "Not found");
        var token = await grains.GetGrain<ITokenIssuerGrain>(ITokenIssuerGrain.DataplaneTokens).Issue(new TokenClaims
        {
            Name = name ?? "",
            Tenant = tenant,
            TenantUid = tenantUid,
            Mesh = mesh,
            MeshUid = snapshot.MeshResource.Uid,
            Tags = tags,
            ValidFor = validFor,
        });
        await WriteTokenAsync(context, token);
    }

    /// <summary>Kuma's answer to a user that may not issue user tokens.</summary>
    private static ApiException AccessDenied() => new(StatusCodes.Status403Forbidden, "Access Denied", "action not allowed");

    public async Task HandleSigningKeysAsync(HttpContext context, ApiRoute route)
    {
        var (kind, keys) = route.Plural switch
        {
            "user" => (ITokenIssuerGrain.UserTokens, userTokens.Keys),
            "dataplane" => (ITokenIssuerGrain.DataplaneTokens, dataplaneTokens.Keys),
            _ => throw ApiException.NotFound($"no signing keys of kind {route.Plural}: use user or dataplane"),
        };
        var issuer = grains.GetGrain<ITokenIssuerGrain>(kind);
        if (route.Name is { } keyId)
        {
            ApiDispatcher.RequireMethod(context, HttpMethods.Delete);
            switch (await issuer.RemoveSigningKey(keyId))
            {
                case SigningKeyRemoval.NotFound:
                    throw ApiException.NotFound($"there is no signing key with KID {keyId}");
                case SigningKeyRemoval.LastKey:
                    throw ApiException.BadRequest($"signing key {keyId} is the only one left: add another before removing it");
            }
            await keys.RefreshNowAsync();
            await JsonResponse.EmptyAsync(context, StatusCodes.Status200OK, null);
            return;
        }
        ApiDispatcher.RequireMethod(context, HttpMethods.Get, HttpMethods.Post);
        if (HttpMethods.IsPost(context.Request.Method))
        {
            var added = await issuer.AddSigningKey();
            await keys.RefreshNowAsync();
            await JsonResponse.WriteAsync(context, StatusCodes.Status201Created, w => WriteKey(w, added));
            return;
        }
        var all = await issuer.ListSigningKeys();
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("signingKeyId", all[^1].KeyId);
            w.WriteStartArray("items");
            foreach (var key in all) WriteKey(w, key);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static void WriteKey(Utf8JsonWriter w, SigningKeyInfo key)
    {
        w.WriteStartObject();
        w.WriteString("kid", key.KeyId);
        w.WriteString("secret", key.SecretName);
        w.WriteEndObject();
    }

    private TimeSpan ReadValidFor(string? text, ValidationErrors errors)
    {
        var validFor = TimeSpan.Zero;
        if (text is null) errors.Add("validFor", "must be defined");
        else if (!Durations.TryParse(text, out validFor) || validFor <= TimeSpan.Zero) errors.Add("validFor", "must be a positive duration, e.g. 24h");
        else if (validFor > options.MaxTokenValidity) errors.Add("validFor", $"must be at most {options.MaxTokenValidity.TotalHours}h");
        return validFor;
    }

    private static async Task WriteTokenAsync(HttpContext context, string token)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(token, context.RequestAborted);
    }

    private static ImmutableSortedDictionary<string, ImmutableArray<string>> ReadTags(JsonObject body, ValidationErrors errors)
    {
        var tags = ImmutableSortedDictionary.CreateBuilder<string, ImmutableArray<string>>(StringComparer.Ordinal);
        if (!body.TryGetPropertyValue("tags", out var node) || node is null) return tags.ToImmutable();
        if (node is not JsonObject map)
        {
            errors.Add("tags", "must be an object of tag name to a list of values");
            return tags.ToImmutable();
        }
        foreach (var (key, values) in map)
        {
            if (values is JsonArray array && array.All(v => v?.GetValueKind() == JsonValueKind.String))
                tags[key] = [.. array.Select(v => v!.GetValue<string>())];
            else errors.Add($"tags[\"{key}\"]", "must be a list of strings");
        }
        return tags.ToImmutable();
    }

    private static string? ReadString(JsonObject body, string field, ValidationErrors errors)
    {
        if (!body.TryGetPropertyValue(field, out var node) || node is null) return null;
        if (node.GetValueKind() == JsonValueKind.String) return node.GetValue<string>();
        errors.Add(field, "must be a string");
        return null;
    }

    private static ImmutableArray<string> ReadGroups(JsonObject body, ValidationErrors errors)
    {
        if (!body.TryGetPropertyValue("groups", out var node) || node is null) return [];
        if (node is JsonArray array && array.All(g => g?.GetValueKind() == JsonValueKind.String))
            return [.. array.Select(g => g!.GetValue<string>())];
        errors.Add("groups", "must be an array of strings");
        return [];
    }
}
