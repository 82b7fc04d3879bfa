using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using Kuma.Gateway.Api;
using Kuma.Gateway.Diagnostics;
using Kuma.Grains;
using Kuma.Resources;
using Kuma.Resources.Core;

namespace Kuma.Gateway.Dp;

/// <summary>
/// <c>POST /bootstrap</c> on the DP port, as kuma-dp calls it: the Envoy bootstrap for the requesting dataplane
/// (<see cref="BootstrapGenerator"/>), pointing its ADS stream back at this control plane. This class does the I/O:
/// the token, the stored Dataplane and Mesh, the certificate, the answer.
/// </summary>
public sealed class BootstrapEndpoint(
    IGrainFactory grains, DataplaneAuthenticator authenticator, DpServerOptions options, BootstrapSettings settings,
    DpCertificateProvider certificates, ApiOptions api, ClusterProbe cluster)
{
    public async Task HandleAsync(HttpContext context)
    {
        if (cluster.CutOff)
        {
            context.Response.Headers.RetryAfter = "2";
            await Plain(context, StatusCodes.Status503ServiceUnavailable, ClusterProbe.CutOffMessage);
            return;
        }
        try
        {
            await Answer(context);
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            await Plain(context, e.Status, e.Detail);
        }
        catch (Exception e) when (Unavailability.Classify(e) is { } outage && !context.Response.HasStarted)
        {
            context.Response.Headers.RetryAfter = "2";
            await Plain(context, StatusCodes.Status503ServiceUnavailable, outage.Answer.Detail);
        }
    }

    private async Task Answer(HttpContext context)
    {
        var request = await ReadRequest(context);
        var identity = await Authenticate(context, request);
        var host = context.Request.Host.Host.Trim('[', ']'); // an IPv6 literal without its URL brackets, as Envoy takes it
        if (options.TlsEnabled && settings.XdsHost.Length == 0 && BootstrapTrust.HostProblem(host, await certificates.GetAsync()) is { } hostProblem)
            throw ApiException.BadRequest(hostProblem);

        DataplaneSpec dataplane;
        if (request.DataplaneResource.Length > 0)
        {
            dataplane = BootstrapDataplaneResource.Parse(request.DataplaneResource, request);
            if (await Read(ResourceKey.Global(identity.Tenant, ResourceTypes.Mesh.Name, request.Mesh)) is null)
                throw BootstrapDataplaneResource.Invalid($"mesh: mesh \"{request.Mesh}\" does not exist");
        }
        else
        {
            // kuma-dp waits and asks again when the Dataplane is not there yet.
            var stored = await Read(new ResourceKey(identity.Tenant, ResourceTypes.Dataplane.Name, request.Mesh, request.Name)) ?? throw ApiException.NotFound("");
            dataplane = ResourceTypes.Dataplane.Parse(stored.SpecJson);
        }
        var mesh = await Read(ResourceKey.Global(identity.Tenant, ResourceTypes.Mesh.Name, request.Mesh)) ?? throw ApiException.NotFound("");

        var result = BootstrapGenerator.Generate(new BootstrapInputs
        {
            Request = request,
            Dataplane = dataplane,
            Mesh = ResourceTypes.Mesh.Parse(mesh.SpecJson),
            Settings = settings,
            RequestHost = host,
            DpPort = (uint)options.Port,
            TrustedCaPem = options.TlsEnabled ? await TrustedCa(request) : null,
            XdsHostIPv4Only = await ResolvesToIPv4Only(settings.XdsHost.Length > 0 ? settings.XdsHost : host, context.RequestAborted),
            CorefileTemplate = await CorefileTemplate(context.RequestAborted),
        });
        await Respond(context, result);
    }

    private async Task<BootstrapRequest> ReadRequest(HttpContext context)
    {
        var body = await RequestBody.ReadObjectAsync(context.Request, api.MaxBodyBytes, context.RequestAborted);
        BootstrapRequest request;
        try
        {
            request = BootstrapRequest.From(body);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"could not parse the bootstrap request: {e.Message}");
        }
        if (request.Mesh.Length == 0 || request.Name.Length == 0)
            throw BootstrapDataplaneResource.Invalid("mesh and name are required");
        if (request.ProxyType is not ("" or "dataplane"))
            throw BootstrapDataplaneResource.Invalid($"proxy type {request.ProxyType} is not served by this control plane (only dataplane)");
        if (request.DataplaneToken.Length == 0)
            throw BootstrapDataplaneResource.Invalid("Dataplane Token is required: issue one with POST /tokens/dataplane and pass it as dataplaneToken");
        return request;
    }

    private async Task<DataplaneIdentity> Authenticate(HttpContext context, BootstrapRequest request)
    {
        try
        {
            return await authenticator.AuthenticateAsync(request.DataplaneToken, $"{request.Mesh}.{request.Name}", context.Connection.RemoteIpAddress);
        }
        catch (RpcException e)
        {
            var status = e.StatusCode == StatusCode.ResourceExhausted ? StatusCodes.Status429TooManyRequests : StatusCodes.Status401Unauthorized;
            throw new ApiException(status, "Unauthorized", e.Status.Detail);
        }
    }

    private Task<StoredResource?> Read(ResourceKey key) => grains.GetGrain<IResourceReaderGrain>(0).Get(key);

    /// <summary>
    /// The CA Envoy verifies this control plane with: kuma-dp's own (<c>--ca-cert-file</c>) first, then the operator's
    /// certificate file, each checked as Kuma checks it; else the generated certificate, which is its own issuer.
    /// </summary>
    private async Task<string> TrustedCa(BootstrapRequest request)
    {
        var (pem, origin) = request.CaCert.Length > 0 ? (request.CaCert, "request .CaCert")
            : certificates.IsOperatorCertificate ? (await certificates.TrustPemAsync(), $"file {DpServerTlsFiles.CertFileSetting}")
            : (await certificates.TrustPemAsync(), "");
        if (origin.Length > 0 && BootstrapTrust.CaProblem(pem, origin) is { } problem) throw ApiException.BadRequest(problem);
        return pem;
    }

    /// <summary>Kuma has Envoy look up only IPv4 addresses of an xDS host whose name resolves to nothing else.</summary>
    private static async Task<bool> ResolvesToIPv4Only(string host, CancellationToken ct)
    {
        if (host.Length == 0 || host == "localhost" || IPAddress.TryParse(host.Trim('[', ']'), out _) || Uri.CheckHostName(host) != UriHostNameType.Dns) return false;
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host, ct);
            return addresses.Length > 0 && addresses.All(a => a.AddressFamily == AddressFamily.InterNetwork);
        }
        catch (SocketException)
        {
            return false; // as Kuma does: a name that does not resolve here leaves the choice to Envoy
        }
    }

    private async Task<byte[]?> CorefileTemplate(CancellationToken ct) =>
        settings.CorefileTemplatePath.Length == 0 ? null : await File.ReadAllBytesAsync(settings.CorefileTemplatePath, ct);

    private static async Task Respond(HttpContext context, BootstrapResult result)
    {
        var json = BootstrapJson.Format(result.Bootstrap);
        if (context.Request.Headers.Accept.ToString().Contains("application/json", StringComparison.OrdinalIgnoreCase))
        {
            await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
            {
                w.WriteStartObject();
                w.WriteBase64String("bootstrap", Encoding.UTF8.GetBytes(json));
                w.WritePropertyName("kumaSidecarConfiguration");
                result.Sidecar.Write(w);
                w.WriteEndObject();
            });
            return;
        }
        // Older kuma-dp asks for the bootstrap alone; JSON is valid YAML, so it travels as Envoy reads it either way.
        context.Response.ContentType = "text/x-yaml";
        await context.Response.WriteAsync(json, context.RequestAborted);
    }

    private static async Task Plain(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        if (message.Length == 0) return;
        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(message, context.RequestAborted);
    }
}
