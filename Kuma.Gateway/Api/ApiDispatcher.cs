using System.Diagnostics;
using System.Globalization;
using System.Net;
using Kuma.Diagnostics;
using Kuma.Gateway.Diagnostics;
using Kuma.Gateway.Auth;
using Kuma.Resources;
using Kuma.Store;
using Kuma.Tokens;
using Kuma.Validation;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;

namespace Kuma.Gateway.Api;

/// <summary>
/// The single entry of the REST API: who is calling, which tenant the path acts in, whether the tenant
/// is within its rate, then the endpoint. Every refusal leaves in Kuma's error shape.
/// </summary>
public sealed partial class ApiDispatcher(
    ApiOptions options,
    UserTokenVerifier tokens,
    TenantDirectory tenants,
    TenantRateLimiter rateLimiter,
    ResourceEndpoints resources,
    TenantEndpoints tenantEndpoints,
    TokenEndpoints tokenEndpoints,
    IndexEndpoints index,
    InspectEndpoints inspect,
    InsightEndpoints insights,
    MetadataEndpoints metadata,
    UsageEndpoint usageEndpoint,
    UsageCounters usage,
    ILogger<ApiDispatcher> logger,
    TimeProvider clock)
{
    private readonly OutageLog _outages = new("Cluster", clock, logger);

    /// <summary>What a request's metric labels say: set as the dispatch learns them (the tenant only once authenticated).</summary>
    private sealed class RequestFacts
    {
        public string Handler = ApiRouteTemplate.Unknown;
        public string Tenant = KumaMetrics.UnknownTenant;
        public bool Billable;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var facts = new RequestFacts();
        try
        {
            await HandleCoreAsync(context, facts);
        }
        finally
        {
            KumaMetrics.ApiRequestDuration.Record(
                Stopwatch.GetElapsedTime(started).TotalSeconds,
                new("code", context.Response.StatusCode.ToString(CultureInfo.InvariantCulture)),
                new("handler", facts.Handler),
                new("method", KnownMethod(context.Request.Method)),
                new("tenant", facts.Tenant));
            if (facts.Billable && facts.Tenant != KumaMetrics.UnknownTenant) usage.ApiCall(facts.Tenant);
        }
    }

    private static string KnownMethod(string method) =>
        HttpMethods.GetCanonicalizedValue(method) is var known && (HttpMethods.IsGet(known) || HttpMethods.IsPut(known) || HttpMethods.IsPost(known)
            || HttpMethods.IsDelete(known) || HttpMethods.IsPatch(known) || HttpMethods.IsHead(known) || HttpMethods.IsOptions(known)) ? known : "other";

    private async Task HandleCoreAsync(HttpContext context, RequestFacts facts)
    {
        try
        {
            await Dispatch(context, facts);
            _outages.RecordSuccess();
        }
        catch (ApiException e)
        {
            await e.WriteAsync(context);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            // Kestrel's verdict on the request's framing (bad chunk, short body, body too slow or too large).
            await new ApiException(e.StatusCode, ReasonPhrases.GetReasonPhrase(e.StatusCode), e.Message).WriteAsync(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // the client went away; nothing to answer
        }
        catch (Exception e) when (Unavailability.Classify(e) is { } outage)
        {
            // The store's own outages are told by the silo that met them; the edge tells the cluster's.
            if (outage.Kind != "store") _outages.RecordFailure(outage.Kind, e.Message);
            if (!context.Response.HasStarted) await outage.Answer.WriteAsync(context);
        }
        catch (Exception e)
        {
            LogUnhandled(logger, e, context.Request.Method, context.Request.Path);
            if (!context.Response.HasStarted)
                await new ApiException(StatusCodes.Status500InternalServerError, "Internal Server Error", "Internal Server Error").WriteAsync(context);
        }
    }

    private async Task Dispatch(HttpContext context, RequestFacts facts)
    {
        var route = ApiRoute.Parse(RawPath(context)) ?? throw ApiException.NotFound();
        facts.Handler = ApiRouteTemplate.Of(route);
        switch (route.Kind)
        {
            case RouteKind.Index:
                RequireMethod(context, HttpMethods.Get);
                await index.WriteIndexAsync(context);
                return;
            case RouteKind.ResourceTypes:
                RequireMethod(context, HttpMethods.Get);
                await IndexEndpoints.WriteResourceTypesAsync(context);
                return;
            // Kuma lets unauthenticated callers read both (its default control-plane metadata access); neither holds tenant data.
            case RouteKind.Config:
                RequireMethod(context, HttpMethods.Get);
                await metadata.WriteConfigAsync(context);
                return;
            case RouteKind.Policies:
                RequireMethod(context, HttpMethods.Get);
                await MetadataEndpoints.WritePoliciesAsync(context);
                return;
        }

        var caller = await Authenticate(context);
        if (caller.IsAnonymous) throw ApiException.Unauthorized("authentication required: send a user token as 'Authorization: Bearer <token>'");
        facts.Tenant = caller.Tenant ?? KumaMetrics.UnknownTenant;
        // The admin's calls are the operator's, not the tenant's: they show in the metrics, not in its usage.
        facts.Billable = !caller.IsAdmin;
        if (!caller.IsAdmin) await EnforceRate(caller.Tenant!);

        switch (route.Kind)
        {
            case RouteKind.WhoAmI:
                RequireMethod(context, HttpMethods.Get);
                await MetadataEndpoints.WriteWhoAmIAsync(context, caller);
                return;
            case RouteKind.UserToken:
                await tokenEndpoints.IssueUserTokenAsync(context, caller);
                return;
            case RouteKind.SigningKeys:
                RequireAdmin(caller);
                await tokenEndpoints.HandleSigningKeysAsync(context, route);
                return;
            case RouteKind.TenantList or RouteKind.Tenant:
                RequireAdmin(caller);
                if (route.Kind == RouteKind.Tenant && !HttpMethods.IsPut(context.Request.Method) && Names.CheckDnsLabel(route.Name) is not null)
                    throw new ApiException(StatusCodes.Status404NotFound, "Could not retrieve a resource", "Not found");
                await tenantEndpoints.HandleAsync(context, route);
                return;
        }

        string tenant;
        if (route.Tenant is { } explicitTenant)
        {
            // Same answer whether or not the tenant exists, so a foreign token learns nothing.
            if (!caller.MayActIn(explicitTenant)) throw ApiException.Unauthorized("token does not grant access to this tenant");
            // A name no tenant can have (it would break grain keys) is simply not there.
            if (Names.CheckDnsLabel(explicitTenant) is not null || await tenants.GetLimitsAsync(explicitTenant) is null) throw ApiException.NotFound($"tenant {explicitTenant} is not found");
            tenant = explicitTenant;
            facts.Tenant = tenant;
        }
        else
        {
            tenant = caller.HomeTenant!;
            facts.Tenant = tenant;
        }
        // Tenant and mesh names become parts of grain keys: a name none can have (a%2Fb) is not there, and reaches no grain.
        if (route.Mesh is not null && Names.CheckDnsLabel(route.Mesh) is not null)
            throw new ApiException(StatusCodes.Status404NotFound, "Failed to retrieve Mesh", "Not found");
        if (route.Kind is RouteKind.DataplaneOverviews or RouteKind.MeshInsights or RouteKind.ServiceInsights or RouteKind.GlobalInsight)
        {
            RequireMethod(context, HttpMethods.Get);
            await insights.HandleAsync(context, route, tenant);
            return;
        }
        if (route.Kind == RouteKind.Usage)
        {
            await usageEndpoint.HandleAsync(context, tenant);
            return;
        }
        if (route.Kind == RouteKind.Inspect)
        {
            RequireMethod(context, HttpMethods.Get);
            if (route.View == "_config") caller.Require(a => a.ViewConfigDump, "envoy proxy info");
            await inspect.HandleAsync(context, route, tenant);
            return;
        }
        if (route.Kind == RouteKind.DataplaneToken)
        {
            caller.Require(a => a.GenerateDpToken, "generate dataplane token");
            await tokenEndpoints.IssueDataplaneTokenAsync(context, tenant);
            return;
        }
        // Secrets hold keys and CAs: Kuma's admin resources, for the groups the tenant allows.
        if (route.Plural == ResourceTypes.Secret.Plural || route.Plural == ResourceTypes.GlobalSecret.Plural)
        {
            var type = route.Plural == ResourceTypes.Secret.Plural ? ResourceTypes.Secret.Name : ResourceTypes.GlobalSecret.Name;
            caller.Require(a => a.AdminResources, $"the resource of type \"{type}\"");
        }
        await resources.HandleAsync(context, route, tenant);
        // The node that changed a tenant's user-token revocations refuses the revoked tokens at once; others within the cache's second.
        if (route is { Plural: "global-secrets", Name: TokenRevocations.UserTokens } && !HttpMethods.IsGet(context.Request.Method))
            tenants.Invalidate(tenant);
    }

    /// <summary>
    /// The path as the client sent it. Kestrel's decoded path keeps <c>%2F</c> encoded but decodes <c>%25</c>,
    /// so decoding it again would read <c>%252F</c> as a slash; the route decodes each segment once itself.
    /// </summary>
    private static string RawPath(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw) || raw[0] != '/') return context.Request.Path.Value ?? "/";
        var query = raw.IndexOf('?');
        return query < 0 ? raw : raw[..query];
    }

    private async Task<Caller> Authenticate(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length > 0)
        {
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
                throw ApiException.Unauthorized("the Authorization header must be 'Bearer <token>'");
            return await tokens.VerifyAsync(header["Bearer ".Length..].Trim());
        }
        var remote = context.Connection.RemoteIpAddress;
        return options.LocalhostIsAdmin && remote is not null && IPAddress.IsLoopback(remote) ? Caller.LocalAdmin : Caller.Anonymous;
    }

    private async Task EnforceRate(string tenant)
    {
        var limits = await tenants.GetLimitsAsync(tenant);
        if (rateLimiter.TryAcquire(tenant, limits?.ApiRequestsPerSecond) is { } retryAfter)
        {
            throw new ApiException(StatusCodes.Status429TooManyRequests, "Too Many Requests", $"tenant {tenant} exceeded its API rate limit")
            {
                RetryAfter = retryAfter,
            };
        }
    }

    private static void RequireAdmin(Caller caller)
    {
        if (!caller.IsAdmin) throw new ApiException(StatusCodes.Status403Forbidden, "Access Denied", "this operation is reserved for the control plane's admin");
    }

    internal static void RequireMethod(HttpContext context, params string[] methods)
    {
        if (!methods.Contains(context.Request.Method, StringComparer.OrdinalIgnoreCase))
            throw ApiException.MethodNotAllowed(context.Request.Method);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}
