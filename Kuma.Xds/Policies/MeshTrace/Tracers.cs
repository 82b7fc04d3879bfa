using Envoy.Config.Core.V3;
using Envoy.Config.Trace.V3;
using Envoy.Type.Tracing.V3;
using Envoy.Type.V3;
using Google.Protobuf.WellKnownTypes;
using HcmTracing = Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager.Types.Tracing;
using TracerHttp = Envoy.Config.Trace.V3.Tracing.Types.Http;

namespace Kuma.Policies.MeshTrace;

/// <summary>Which side of the proxy a connection manager serves, for Datadog's split service names.</summary>
internal enum TraceDirection
{
    Inbound,
    Outbound,
}

/// <summary>The tracing block of an HTTP connection manager, with the names and values Kuma gives it.</summary>
internal static class Tracers
{
    public const string ZipkinProvider = "zipkin";
    public const string DatadogProvider = "datadog";
    public const string OpenTelemetryProvider = "opentelemetry";

    /// <summary>The collector's cluster, one per backend kind: <c>meshtrace:zipkin</c> and so on.</summary>
    public static string ClusterName(string provider) => "meshtrace:" + provider;

    /// <param name="destination">For outbound connection managers: the service called (Datadog's split names).</param>
    public static HcmTracing Build(MeshTraceConf conf, TraceBackend backend, ProxyIdentity proxy, TraceDirection direction, string? destination)
    {
        var tracing = new HcmTracing { SpawnUpstreamSpan = false };
        if (conf.Sampling is { } sampling)
        {
            if (SamplingPercent(sampling.Overall) is { } overall) tracing.OverallSampling = overall;
            if (SamplingPercent(sampling.Client) is { } client) tracing.ClientSampling = client;
            if (SamplingPercent(sampling.Random) is { } random) tracing.RandomSampling = random;
        }
        foreach (var tag in conf.Tags ?? [])
        {
            tracing.CustomTags.Add(tag.Header is { } header
                ? new CustomTag { Tag = tag.Name ?? "", RequestHeader = new CustomTag.Types.Header { Name = header.Name ?? "", DefaultValue = header.Default ?? "" } }
                : Literal(tag.Name ?? "", tag.Literal ?? ""));
        }
        // Kuma tags every span with the mesh and zone, unless the user's tags already name them.
        foreach (var (key, value) in new[] { ("kuma.mesh", proxy.Mesh), ("kuma.zone", proxy.Zone) })
        {
            if (value.Length > 0 && tracing.CustomTags.All(t => t.Tag != key)) tracing.CustomTags.Add(Literal(key, value));
        }
        tracing.Provider = backend.Type switch
        {
            MeshTracePolicy.ZipkinType when backend.Zipkin is { } zipkin => Zipkin(zipkin),
            MeshTracePolicy.DatadogType when backend.Datadog is { } datadog => Datadog(datadog, proxy.Service, direction, destination),
            MeshTracePolicy.OpenTelemetryType when CollectorClusters.OpenTelemetryEndpoint(backend) is not null => OpenTelemetry(proxy.Service),
            _ => null,
        };
        return tracing;
    }

    private static TracerHttp Zipkin(ZipkinBackend zipkin)
    {
        var url = RequestUri.Parse(zipkin.Url ?? "");
        var config = new ZipkinConfig
        {
            CollectorCluster = ClusterName(ZipkinProvider),
            CollectorEndpoint = url?.Path ?? "",
            TraceId128Bit = zipkin.TraceId128bit ?? false,
            CollectorEndpointVersion = zipkin.ApiVersion == "httpProto"
                ? ZipkinConfig.Types.CollectorEndpointVersion.HttpProto
                : ZipkinConfig.Types.CollectorEndpointVersion.HttpJson,
            SharedSpanContext = zipkin.SharedSpanContext ?? true,
            CollectorHostname = url is null ? "" : url.Port.Length > 0 ? url.Host + ":" + url.Port : url.Host,
        };
        return Provider("envoy.tracers.zipkin", Any.Pack(config));
    }

    private static TracerHttp Datadog(DatadogBackend datadog, string service, TraceDirection direction, string? destination)
    {
        var name = datadog.SplitService != true ? service
            : direction == TraceDirection.Inbound ? service + "_INBOUND"
            : string.Join('_', service, "OUTBOUND", destination ?? "");
        return Provider("envoy.tracers.datadog", Any.Pack(new DatadogConfig { CollectorCluster = ClusterName(DatadogProvider), ServiceName = name }));
    }

    private static TracerHttp OpenTelemetry(string service) =>
        Provider("envoy.tracers.opentelemetry", Any.Pack(new OpenTelemetryConfig
        {
            ServiceName = service,
            GrpcService = new GrpcService { EnvoyGrpc = new GrpcService.Types.EnvoyGrpc { ClusterName = ClusterName(OpenTelemetryProvider) } },
        }));

    private static TracerHttp Provider(string name, Any config) => new() { Name = name, TypedConfig = config };

    private static CustomTag Literal(string name, string value) => new() { Tag = name, Literal = new CustomTag.Types.Literal { Value = value } };

    /// <summary>Validation refused anything unreadable, so an unreadable value here is left out.</summary>
    private static Percent? SamplingPercent(System.Text.Json.Nodes.JsonNode? node) =>
        node is not null && MeshTracePolicy.ReadPercent(node) is { } value
            ? new Percent { Value = (double)value }
            : null;
}
