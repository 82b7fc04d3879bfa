using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Bootstrap.V3;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Endpoint = Envoy.Config.Endpoint.V3.Endpoint;
using HttpProtocolOptions = Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Kuma.Gateway.Api;
using Kuma.Gateway.Diagnostics;
using Kuma.Grains;
using Kuma.Resources;

namespace Kuma.Gateway.Dp;

/// <summary>
/// <c>POST /bootstrap</c> on the DP port, as kuma-dp calls it: the Envoy bootstrap for the requesting
/// dataplane, pointing its ADS stream back at this control plane with its token attached.
/// </summary>
public sealed class BootstrapEndpoint(
    IGrainFactory grains, DataplaneAuthenticator authenticator, DpServerOptions options, DpCertificateProvider certificates, ApiOptions api, ClusterProbe cluster)
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default
        .WithTypeRegistry(TypeRegistry.FromMessages(HttpProtocolOptions.Descriptor, UpstreamTlsContext.Descriptor))
        .WithPreserveProtoFieldNames(true));

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
        catch (Exception e) when (Unavailability.Classify(e) is { } outage && !context.Response.HasStarted)
        {
            context.Response.Headers.RetryAfter = "2";
            await Plain(context, StatusCodes.Status503ServiceUnavailable, outage.Answer.Detail);
        }
    }

    private async Task Answer(HttpContext context)
    {
        JsonObject body;
        try
        {
            body = await RequestBody.ReadObjectAsync(context.Request, api.MaxBodyBytes, context.RequestAborted);
        }
        catch (ApiException e)
        {
            await Plain(context, e.Status, e.Detail);
            return;
        }
        var mesh = Text(body, "mesh");
        var name = Text(body, "name");
        var token = Text(body, "dataplaneToken");
        if (string.IsNullOrEmpty(mesh) || string.IsNullOrEmpty(name))
        {
            await Plain(context, StatusCodes.Status422UnprocessableEntity, "mesh and name are required");
            return;
        }
        if (string.IsNullOrEmpty(token))
        {
            await Plain(context, StatusCodes.Status422UnprocessableEntity, "Dataplane Token is required: issue one with POST /tokens/dataplane and pass it as dataplaneToken");
            return;
        }
        DataplaneIdentity identity;
        try
        {
            identity = await authenticator.AuthenticateAsync(token, $"{mesh}.{name}", context.Connection.RemoteIpAddress);
        }
        catch (RpcException e)
        {
            await Plain(context, e.StatusCode == StatusCode.ResourceExhausted ? StatusCodes.Status429TooManyRequests : StatusCodes.Status401Unauthorized, e.Status.Detail);
            return;
        }
        var resource = Text(body, "dataplaneResource");
        if (resource is null && await grains.GetGrain<IResourceReaderGrain>(0).Get(new ResourceKey(identity.Tenant, ResourceTypes.Dataplane.Name, mesh, name)) is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound; // kuma-dp waits and asks again
            return;
        }

        var bootstrap = await Build(identity, token, resource, context.Request.Host);
        // kuma-dp's work directory (its sockets) and the files a ProvidedTLS metrics listener serves, carried to the
        // ADS stream in node metadata as Kuma's bootstrap carries them.
        var metrics = body["metricsResources"] as JsonObject;
        var nodeMetadata = bootstrap.Node.Metadata.Fields;
        nodeMetadata[Kuma.Xds.Generation.ProxyNode.WorkDirKey] = Value.ForString(Text(body, "workdir") ?? "");
        nodeMetadata[Kuma.Xds.Generation.ProxyNode.MetricsCertPathKey] = Value.ForString(metrics is null ? "" : Text(metrics, "certPath") ?? "");
        nodeMetadata[Kuma.Xds.Generation.ProxyNode.MetricsKeyPathKey] = Value.ForString(metrics is null ? "" : Text(metrics, "keyPath") ?? "");
        var json = Formatter.Format(bootstrap);
        if (context.Request.Headers.Accept.ToString().Contains("application/json", StringComparison.OrdinalIgnoreCase))
        {
            // JSON is valid YAML, so the bootstrap travels as Envoy reads it either way.
            await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
            {
                w.WriteStartObject();
                w.WriteBase64String("bootstrap", Encoding.UTF8.GetBytes(json));
                w.WriteStartObject("kumaSidecarConfiguration");
                w.WriteStartObject("networking");
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndObject();
            });
            return;
        }
        context.Response.ContentType = "text/x-yaml";
        await context.Response.WriteAsync(json, context.RequestAborted);
    }

    private async Task<Bootstrap> Build(DataplaneIdentity identity, string token, string? dataplaneResource, HostString host)
    {
        var xdsHost = host.Host is { Length: > 0 } h ? h : "127.0.0.1";
        var metadata = new Struct { Fields = { ["dataplane.proxyType"] = Value.ForString("dataplane") } };
        if (dataplaneResource is not null) metadata.Fields[SelfRegistration.MetadataKey] = Value.ForString(dataplaneResource);
        var adsCluster = new Cluster
        {
            Name = "ads_cluster",
            ConnectTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)),
            Type = System.Net.IPAddress.TryParse(xdsHost, out _) ? Cluster.Types.DiscoveryType.Static : Cluster.Types.DiscoveryType.StrictDns,
            LoadAssignment = new ClusterLoadAssignment
            {
                ClusterName = "ads_cluster",
                Endpoints = { new LocalityLbEndpoints { LbEndpoints = { new LbEndpoint { Endpoint = new Endpoint { Address = new Address { SocketAddress = new SocketAddress { Address = xdsHost, PortValue = (uint)options.Port } } } } } } },
            },
            TypedExtensionProtocolOptions = { ["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"] = Any.Pack(new HttpProtocolOptions { ExplicitHttpConfig = new() { Http2ProtocolOptions = new Http2ProtocolOptions() } }) },
            UpstreamConnectionOptions = new UpstreamConnectionOptions { TcpKeepalive = new TcpKeepalive { KeepaliveProbes = 3, KeepaliveTime = 10, KeepaliveInterval = 10 } },
        };
        if (options.TlsEnabled)
        {
            var certificate = await certificates.GetAsync();
            adsCluster.TransportSocket = new TransportSocket
            {
                Name = "envoy.transport_sockets.tls",
                TypedConfig = Any.Pack(new UpstreamTlsContext
                {
                    Sni = xdsHost,
                    CommonTlsContext = new CommonTlsContext
                    {
                        ValidationContext = new CertificateValidationContext { TrustedCa = new DataSource { InlineString = certificate.ExportCertificatePem() } },
                    },
                }),
            };
        }
        return new Bootstrap
        {
            Node = new Node { Id = $"{identity.Mesh}.{identity.Name}", Cluster = identity.Name, Metadata = metadata },
            DynamicResources = new Bootstrap.Types.DynamicResources
            {
                LdsConfig = new ConfigSource { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3, InitialFetchTimeout = new Duration() },
                CdsConfig = new ConfigSource { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3, InitialFetchTimeout = new Duration() },
                AdsConfig = new ApiConfigSource
                {
                    ApiType = ApiConfigSource.Types.ApiType.Grpc,
                    TransportApiVersion = ApiVersion.V3,
                    SetNodeOnFirstMessageOnly = true,
                    GrpcServices = { new GrpcService { EnvoyGrpc = new GrpcService.Types.EnvoyGrpc { ClusterName = "ads_cluster" }, InitialMetadata = { new HeaderValue { Key = "authorization", Value = token } } } },
                },
            },
            StaticResources = new Bootstrap.Types.StaticResources { Clusters = { adsCluster } },
            Admin = new Admin { Address = new Address { SocketAddress = new SocketAddress { Address = "127.0.0.1", PortValue = 9901 } } },
            LayeredRuntime = new LayeredRuntime { Layers = { KumaRuntimeLayer } },
        };
    }

    /// <summary>
    /// Kuma's runtime layer: Envoy rejects a regex whose RE2 program exceeds 100 by default, and generated regexes
    /// (route paths, callers' SPIFFE ids in MeshRateLimit) grow with the names in them, so the limit is lifted.
    /// </summary>
    private static readonly RuntimeLayer KumaRuntimeLayer = new()
    {
        Name = "kuma",
        StaticLayer = new Struct
        {
            Fields =
            {
                ["re2.max_program_size.error_level"] = Value.ForNumber(4294967295),
                ["re2.max_program_size.warn_level"] = Value.ForNumber(1000),
            },
        },
    };

    private static string? Text(JsonObject body, string field) =>
        body.TryGetPropertyValue(field, out var node) && node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;

    private static async Task Plain(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(message, context.RequestAborted);
    }
}
