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
using Kuma.Xds.Generation;

namespace Kuma.Xds.Inspect;

/// <summary>A proxy's current config as Envoy JSON, for people: what a wildcard sidecar would receive, with the endpoints of its clusters.</summary>
public static class ConfigDump
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default
        .WithTypeRegistry(TypeRegistry.FromMessages(
            Listener.Descriptor, Cluster.Descriptor, ClusterLoadAssignment.Descriptor, RouteConfiguration.Descriptor,
            HttpConnectionManager.Descriptor, Router.Descriptor, TcpProxy.Descriptor, HttpProtocolOptions.Descriptor,
            Envoy.Extensions.Filters.Http.Fault.V3.HTTPFault.Descriptor,
            Envoy.Extensions.Common.Matching.V3.ExtensionWithMatcher.Descriptor,
            Envoy.Extensions.Filters.Common.Matcher.Action.V3.SkipFilter.Descriptor,
            Envoy.Extensions.Matching.CommonInputs.Ssl.V3.UriSanInput.Descriptor,
            Envoy.Extensions.Matching.CommonInputs.Network.V3.ServerNameInput.Descriptor,
            PreviousHostsPredicate.Descriptor, OmitHostMetadataConfig.Descriptor, PreviousPrioritiesConfig.Descriptor))
        .WithFormatDefaultValues(false));

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

    /// <summary>One resource as Envoy JSON (with its type), the form golden files keep.</summary>
    public static JsonNode ToJson(XdsResource resource) => JsonNode.Parse(Formatter.Format(resource.Payload))!;

    private static JsonArray Array(IEnumerable<XdsResource> resources) => [.. resources.Select(ToJson)];

    public static string ToIndentedString(JsonNode node) => node.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
}
