using System.Security.Cryptography;
using System.Text;
using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf.WellKnownTypes;

namespace Kuma.Policies.MeshMetric;

/// <summary>
/// Kuma's dynamic-config listener: Envoy answers kuma-dp's polls on a unix socket with documents the control
/// plane puts in its routes, one path per document, with an ETag so an unchanged document costs a 304.
/// </summary>
public static class DynamicConfig
{
    public const string ListenerName = "_kuma:dynamicconfig";

    /// <summary>Adds a document at <paramref name="path"/>, creating the listener on the proxy's first document.</summary>
    public static void AddRoute(ProxyResources resources, string socket, string path, string body)
    {
        var listener = resources.Listener(ListenerName);
        if (listener is null)
        {
            listener = new Listener
            {
                Name = ListenerName,
                Address = new Address { Pipe = new Pipe { Path = socket } },
                FilterChains = { MetricsResources.Chain(MetricsResources.LocalHttp(ListenerName, new RouteConfiguration
                {
                    VirtualHosts = { new VirtualHost { Name = ListenerName, Domains = { "*" } } },
                })) },
            };
            resources.Add(listener);
        }
        var filter = listener.FilterChains[0].Filters[0];
        var hcm = filter.TypedConfig.Unpack<HttpConnectionManager>();
        var bytes = Encoding.UTF8.GetBytes(body);
        var etag = Convert.ToHexStringLower(SHA256.HashData(bytes));
        hcm.RouteConfig.VirtualHosts[0].Routes.Add(new Route
        {
            Match = new RouteMatch
            {
                Path = path,
                Headers = { new HeaderMatcher { Name = "If-None-Match", StringMatch = new StringMatcher { Exact = etag } } },
            },
            DirectResponse = new DirectResponseAction { Status = 304 },
        });
        hcm.RouteConfig.VirtualHosts[0].Routes.Add(new Route
        {
            Name = ListenerName + ":" + path,
            Match = new RouteMatch { Path = path },
            ResponseHeadersToAdd = { new HeaderValueOption { Header = new HeaderValue { Key = "Etag", Value = etag } } },
            DirectResponse = new DirectResponseAction { Status = 200, Body = new DataSource { InlineString = body } },
        });
        // Envoy refuses direct responses larger than this; the largest document sets it.
        hcm.RouteConfig.MaxDirectResponseBodySizeBytes = Math.Max(hcm.RouteConfig.MaxDirectResponseBodySizeBytes ?? 0, (uint)bytes.Length);
        filter.TypedConfig = Any.Pack(hcm);
    }
}
