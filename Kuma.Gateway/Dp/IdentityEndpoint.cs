using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Kuma.Gateway.Api;
using Kuma.Validation;

namespace Kuma.Gateway.Dp;

/// <summary>
/// <c>GET /proxyless/identity?mesh=&lt;mesh&gt;&amp;name=&lt;name&gt;</c> on the DP port, with the dataplane's token as
/// <c>Authorization: Bearer</c>: the caller's own mesh identity for a proxyless gRPC workload, which has no SDS and reads
/// it from files (written by <c>kuma-proxyless-identity</c>). Kuma has no such endpoint; it serves over HTTP what SDS
/// serves an Envoy, from the same code. The answer carries an <c>ETag</c>: a poll with <c>If-None-Match</c> gets 304
/// until a new certificate is issued, which happens only when it is due or the mesh's mTLS changed.
/// </summary>
public sealed class IdentityEndpoint(DataplaneAuthenticator authenticator, ProxylessIdentities identities)
{
    public const string Path = "/proxyless/identity";
    private const int MaxNameLength = 253;

    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            await Answer(context);
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            await e.WriteAsync(context);
        }
        catch (Exception e) when (Unavailability.Classify(e) is { } outage && !context.Response.HasStarted)
        {
            await outage.Answer.WriteAsync(context);
        }
    }

    private async Task Answer(HttpContext context)
    {
        // Everything the caller sent is checked before the token, and the token before any grain or store is asked.
        var mesh = Single(context, "mesh");
        var name = Single(context, "name");
        var token = BearerToken(context);
        DataplaneIdentity identity;
        try
        {
            identity = await authenticator.AuthenticateAsync(token, $"{mesh}.{name}", context.Connection.RemoteIpAddress);
        }
        catch (RpcException e)
        {
            throw e.StatusCode == StatusCode.ResourceExhausted
                ? new ApiException(StatusCodes.Status429TooManyRequests, "Too Many Requests", e.Status.Detail) { RetryAfter = TimeSpan.FromSeconds(60) }
                : ApiException.Unauthorized(e.Status.Detail);
        }

        var held = context.Request.Headers.IfNoneMatch;
        var outcome = await identities.GetAsync(identity, pem => Matches(held, $"\"{Version(pem)}\""), context.RequestAborted);
        if (outcome.Refusal is { } refusal)
            throw new ApiException(refusal.Status, refusal.Title, refusal.Detail) { RetryAfter = refusal.Status >= 500 ? TimeSpan.FromSeconds(2) : null };
        var current = outcome.Identity!;
        var version = Version(current);
        var etag = $"\"{version}\"";
        // A private key is in the body: no cache on the way may keep it.
        context.Response.Headers.CacheControl = "no-store";
        if (Matches(context.Request.Headers.IfNoneMatch, etag))
        {
            context.Response.Headers.ETag = etag;
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("mesh", identity.Mesh);
            w.WriteString("name", identity.Name);
            w.WriteString("version", version);
            w.WriteString("certificateChain", current.CertificatePem);
            w.WriteString("privateKey", current.PrivateKeyPem);
            w.WriteString("caBundle", current.TrustedCaPem);
            w.WriteString("notAfter", current.NotAfter.UtcDateTime);
            w.WriteString("renewAt", outcome.RenewAt.UtcDateTime);
            w.WriteEndObject();
        }, etag);
    }

    /// <summary>Names the certificate and the bundle it is checked against: either changing is a new version.</summary>
    private static string Version(Sds.IdentityPem identity) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity.CertificatePem + "\n" + identity.TrustedCaPem)).AsSpan(0, 16));

    private static bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch, string etag)
    {
        foreach (var header in ifNoneMatch)
        {
            foreach (var candidate in (header ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var tag = candidate.StartsWith("W/", StringComparison.Ordinal) ? candidate[2..] : candidate;
                if (tag == etag) return true;
            }
        }
        return false;
    }

    private static string Single(HttpContext context, string parameter)
    {
        var values = context.Request.Query[parameter];
        if (values.Count != 1 || string.IsNullOrEmpty(values[0]))
            throw ApiException.BadRequest($"query parameter '{parameter}' is required, once", [new FieldError(parameter, "must be given exactly once")]);
        var value = values[0]!;
        // A mesh name with a dot would make the node id <mesh>.<name> ambiguous.
        if (value.Length > MaxNameLength || (parameter == "mesh" && value.Contains('.', StringComparison.Ordinal)))
            throw ApiException.BadRequest($"query parameter '{parameter}' is not a valid name", [new FieldError(parameter, "is not a valid name")]);
        return value;
    }

    private static string BearerToken(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        const string Bearer = "Bearer ";
        if (!header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) || header.Length == Bearer.Length)
            throw ApiException.Unauthorized("a dataplane token is required: send it as 'Authorization: Bearer <token>'");
        return header[Bearer.Length..].Trim();
    }
}
