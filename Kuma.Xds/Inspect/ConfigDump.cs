using System.Text.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Envoy.Extensions.Retry.Host.OmitHostMetadata.V3;
using Envoy.Extensions.Retry.Host.PreviousHosts.V3;
using Envoy.Extensions.Retry.Priority.PreviousPriorities.V3;
using Envoy.Extensions.Upstreams.Http.V3;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Kuma.Grains;
using Kuma.Xds.Generation;

namespace Kuma.Xds.Inspect;

/// <summary>A proxy's current config as Envoy JSON, for people: what a wildcard sidecar would receive, with the endpoints of its clusters.</summary>
public static class ConfigDump
{
    /// <summary>Every typed config the generated resources pack into an Any, for rendering and for parsing them back.</summary>
    public static readonly TypeRegistry Types = EnvoyTypes.With(
            Listener.Descriptor, Cluster.Descriptor, ClusterLoadAssignment.Descriptor, RouteConfiguration.Descriptor,
            HttpConnectionManager.Descriptor, Router.Descriptor, TcpProxy.Descriptor, HttpProtocolOptions.Descriptor,
            Envoy.Extensions.Filters.Http.Fault.V3.HTTPFault.Descriptor,
            Envoy.Extensions.Filters.Http.Rbac.V3.RBAC.Descriptor, Envoy.Extensions.Filters.Network.Rbac.V3.RBAC.Descriptor, Envoy.Config.Rbac.V3.Action.Descriptor,
            Envoy.Extensions.Filters.Http.LocalRatelimit.V3.LocalRateLimit.Descriptor,
            Envoy.Extensions.Filters.Network.LocalRatelimit.V3.LocalRateLimit.Descriptor,
            Envoy.Extensions.HealthCheck.EventSinks.File.V3.HealthCheckEventFileSink.Descriptor,
            Envoy.Extensions.Filters.Http.GrpcStats.V3.FilterConfig.Descriptor,
            Envoy.Extensions.Common.Matching.V3.ExtensionWithMatcher.Descriptor,
            Envoy.Extensions.Filters.Common.Matcher.Action.V3.SkipFilter.Descriptor,
            Envoy.Extensions.Matching.CommonInputs.Ssl.V3.UriSanInput.Descriptor,
            Envoy.Extensions.Matching.CommonInputs.Network.V3.ServerNameInput.Descriptor,
            Envoy.Config.Trace.V3.ZipkinConfig.Descriptor, Envoy.Config.Trace.V3.DatadogConfig.Descriptor,
            Envoy.Config.Trace.V3.OpenTelemetryConfig.Descriptor, Envoy.Extensions.TransportSockets.Tls.V3.UpstreamTlsContext.Descriptor,
            Envoy.Extensions.TransportSockets.Tls.V3.DownstreamTlsContext.Descriptor, Envoy.Extensions.TransportSockets.Tls.V3.Secret.Descriptor,
            PreviousHostsPredicate.Descriptor, OmitHostMetadataConfig.Descriptor, PreviousPrioritiesConfig.Descriptor,
            Envoy.Extensions.Filters.Listener.OriginalDst.V3.OriginalDst.Descriptor,
            Envoy.Extensions.Filters.Listener.TlsInspector.V3.TlsInspector.Descriptor,
            Envoy.Extensions.Filters.Listener.HttpInspector.V3.HttpInspector.Descriptor,
            Envoy.Extensions.AccessLoggers.File.V3.FileAccessLog.Descriptor,
            Envoy.Extensions.AccessLoggers.OpenTelemetry.V3.OpenTelemetryAccessLogConfig.Descriptor,
            Envoy.Extensions.AccessLoggers.Filters.Cel.V3.ExpressionFilter.Descriptor,
            Envoy.Extensions.Filters.Udp.DnsFilter.V3.DnsFilterConfig.Descriptor);

    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithTypeRegistry(Types).WithFormatDefaultValues(false));

    public static JsonObject Render(ProxyConfig config)
    {
        var clusters = config.Wildcard(TypeUrls.Cluster).ToList();
        var endpoints = clusters
            .Select(c => config.Find(TypeUrls.ClusterLoadAssignment, c.Name))
            .OfType<XdsResource>()
            .ToList();
        return new JsonObject
        {
            ["generation"] = config.Generation,
            ["listeners"] = Array(config.Wildcard(TypeUrls.Listener)),
            ["clusters"] = Array(clusters),
            ["endpoints"] = Array(endpoints),
        };
    }

    /// <summary>
    /// What a client that subscribes by name (a proxyless gRPC client) receives: per type, the resources it
    /// subscribed to that exist, in name order; a name that resolves to nothing is left out, as the server sends
    /// nothing for it. Routes appear only for a client that asks for them.
    /// </summary>
    public static JsonObject RenderSubscribed(ProxyConfig config, StreamClient client)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(client);
        var dump = new JsonObject
        {
            ["generation"] = config.Generation,
            ["listeners"] = Array(Subscribed(config, client, TypeUrls.Listener)),
        };
        if (client.On(TypeUrls.RouteConfiguration) is not null) dump["routes"] = Array(Subscribed(config, client, TypeUrls.RouteConfiguration));
        dump["clusters"] = Array(Subscribed(config, client, TypeUrls.Cluster));
        dump["endpoints"] = Array(Subscribed(config, client, TypeUrls.ClusterLoadAssignment));
        return dump;
    }

    internal static List<XdsResource> Subscribed(ProxyConfig config, StreamClient client, string typeUrl)
    {
        if (client.On(typeUrl) is not { } subscription) return [];
        var selected = new SortedDictionary<string, XdsResource>(StringComparer.Ordinal);
        if (subscription.Wildcard)
        {
            foreach (var r in config.Wildcard(typeUrl)) selected[r.Name] = r;
        }
        foreach (var name in subscription.Names)
        {
            if (!selected.ContainsKey(name) && config.Find(typeUrl, name) is { } r) selected[name] = r;
        }
        return [.. selected.Values];
    }

    /// <summary>One resource as Envoy JSON (with its type), the form golden files keep.</summary>
    public static JsonNode ToJson(XdsResource resource) => JsonNode.Parse(Formatter.Format(resource.Payload))!;

    private static JsonArray Array(IEnumerable<XdsResource> resources) => [.. resources.Select(ToJson)];

    public static string ToIndentedString(JsonNode node) => node.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
}
