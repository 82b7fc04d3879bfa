using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Xds.Generation;

namespace Kuma.Policies.MeshTrace;

/// <summary>The cluster a proxy sends spans through: one per proxy, named after the backend kind, as Kuma names it.</summary>
internal static partial class CollectorClusters
{
    /// <summary>Kuma's default OpenTelemetry collector port (OTLP over gRPC).</summary>
    private const uint OtlpGrpcPort = 4317;

    /// <param name="ipv6Proxy">Whether the proxy's own address is IPv6: Envoy then resolves the collector's name for any family.</param>
    public static Cluster? For(TraceBackend backend, bool ipv6Proxy)
    {
        var (provider, host, port, http2) = backend.Type switch
        {
            MeshTracePolicy.ZipkinType when backend.Zipkin is { } zipkin => UrlEndpoint(Tracers.ZipkinProvider, zipkin.Url),
            MeshTracePolicy.DatadogType when backend.Datadog is { } datadog => UrlEndpoint(Tracers.DatadogProvider, datadog.Url),
            MeshTracePolicy.OpenTelemetryType when OpenTelemetryEndpoint(backend) is { } otel =>
                (Tracers.OpenTelemetryProvider, otel.Host, otel.Port, true),
            _ => (null, "", 0u, false),
        };
        var tls = backend is { Type: MeshTracePolicy.ZipkinType, Zipkin.Url: { } url } && RequestUri.Parse(url)?.Scheme == "https";
        if (provider is null) return null;
        var name = Tracers.ClusterName(provider);
        var cluster = new Cluster
        {
            Name = name,
            AltStatName = name.Replace(':', '_'),
            ConnectTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(5)),
            LoadAssignment = new ClusterLoadAssignment
            {
                ClusterName = name,
                Endpoints =
                {
                    new LocalityLbEndpoints
                    {
                        LbEndpoints = { new LbEndpoint { Endpoint = new Endpoint { Address = EnvoyBuild.SocketAddress(host, port) } } },
                    },
                },
            },
        };
        if (IsIp(host))
        {
            cluster.Type = Cluster.Types.DiscoveryType.Static;
        }
        else
        {
            cluster.Type = Cluster.Types.DiscoveryType.StrictDns;
            cluster.DnsLookupFamily = ipv6Proxy ? Cluster.Types.DnsLookupFamily.Auto : Cluster.Types.DnsLookupFamily.V4Only;
        }
        if (http2) cluster.TypedExtensionProtocolOptions[EnvoyBuild.Http2OptionsKey] = EnvoyBuild.Http2ProtocolOptions();
        if (tls) cluster.TransportSocketMatches.Add(Tls(host));
        return cluster;
    }

    /// <summary>
    /// TLS to an https Zipkin collector, as Kuma sets it up for endpoints outside the mesh: renegotiation allowed, the
    /// host as SNI when it is a DNS name, and no certificate validation (Kuma gives none without a CA).
    /// </summary>
    private static Cluster.Types.TransportSocketMatch Tls(string host) => new()
    {
        Name = host,
        Match = new Struct(),
        TransportSocket = new TransportSocket
        {
            Name = "envoy.transport_sockets.tls",
            TypedConfig = Any.Pack(new UpstreamTlsContext { AllowRenegotiation = true, Sni = IsIp(host) || !DnsName().IsMatch(host) ? "" : host }),
        },
    };

    [GeneratedRegex(@"^([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,62}[a-zA-Z0-9_])?\.)*[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,62}[a-zA-Z0-9_])?\.?$")]
    private static partial Regex DnsName();

    /// <summary>
    /// The collector of an OpenTelemetry backend given by <c>endpoint</c> (host, port defaulting to 4317); null for a
    /// <c>backendRef</c>, which names a MeshOpenTelemetryBackend this control plane does not serve, so, as Kuma does
    /// with a reference it cannot resolve, no tracer and no cluster are configured.
    /// </summary>
    public static (string Host, uint Port)? OpenTelemetryEndpoint(TraceBackend backend)
    {
        if (backend.OpenTelemetry is not { Endpoint: { Length: > 0 } endpoint, BackendRef: null }) return null;
        // A bare IPv6 address carries no port.
        if (endpoint.Count(c => c == ':') > 1 && !endpoint.Contains('[', StringComparison.Ordinal)) return (endpoint, OtlpGrpcPort);
        if (RequestUri.Parse("otel://" + endpoint) is not { Host.Length: > 0 } uri) return (endpoint, OtlpGrpcPort);
        var host = uri.Host.Trim('[', ']');
        var port = uint.TryParse(uri.Port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and <= ushort.MaxValue ? p : OtlpGrpcPort;
        return (host, port);
    }

    /// <summary>A literal address (as Go's ParseIP reads one: full dotted IPv4, or IPv6), which needs no DNS.</summary>
    private static bool IsIp(string host) =>
        (host.Contains(':', StringComparison.Ordinal) || host.Count(c => c == '.') == 3) && IPAddress.TryParse(host, out _);

    /// <summary>Zipkin and Datadog collectors: the URL's host and port (0 when the URL names none, as in Kuma).</summary>
    private static (string? Provider, string Host, uint Port, bool Http2) UrlEndpoint(string provider, string? url)
    {
        var uri = RequestUri.Parse(url ?? "");
        var port = uint.TryParse(uri?.Port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0;
        return (provider, uri?.Host.Trim('[', ']') ?? "", port, false);
    }
}
