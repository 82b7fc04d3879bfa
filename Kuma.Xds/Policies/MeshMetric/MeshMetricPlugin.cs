using System.Net;
using System.Net.Sockets;

namespace Kuma.Policies.MeshMetric;

/// <summary>
/// MeshMetric on a sidecar: per Prometheus backend a scrape listener on the dataplane's address that forwards to
/// kuma-dp's metrics hijacker (which filters Envoy's stats by the policy's profiles and adds the applications'
/// metrics); per OpenTelemetry backend a socket kuma-dp pushes into and a cluster to the collector; and the
/// hijacker's settings as a document on the dynamic-config listener. All of it exists once per proxy, so it
/// is added in the proxy-wide step.
/// </summary>
public sealed class MeshMetricPlugin : PolicyPlugin<MeshMetricConf>
{
    public const string DefaultBackendName = "default-backend";
    public const uint DefaultPrometheusPort = 5670;
    public const string DefaultPath = "/metrics";
    public static readonly TimeSpan DefaultRefreshInterval = TimeSpan.FromMinutes(1);

    protected override IEnumerable<ProxylessGap> ProxylessGaps(OutboundTarget target, MeshMetricConf conf) =>
        ProxylessGap.IfSet(conf.Backends, "default.backends",
            "a proxyless gRPC client has no Envoy and no kuma-dp: there are no proxy stats to scrape or push, and no hijacker to scrape its applications");

    protected override void ProxyResources(ProxyResources resources, ProxyWideTarget target, MeshMetricConf? conf, IReadOnlyList<MeshMetricConf> used)
    {
        if (conf?.Backends is not { Count: > 0 } backends) return;
        var prometheus = backends.Where(b => b.Type == MeshMetricPolicy.PrometheusType && b.Prometheus is not null).Select(b => b.Prometheus!).ToList();
        // A backendRef names a MeshOpenTelemetryBackend, a resource type this control plane does not serve yet.
        var openTelemetry = backends.Where(b => b.Type == MeshMetricPolicy.OpenTelemetryType && b.OpenTelemetry is { Endpoint.Length: > 0 })
            .Select(b => b.OpenTelemetry!).ToList();

        foreach (var backend in prometheus)
        {
            resources.Add(MetricsResources.Hijacker(target.Node.KumaDpSocket($"kuma-mh-{target.Dataplane}-{target.Mesh}")));
            var name = MetricsResources.PrometheusListenerPrefix + (backend.ClientId ?? DefaultBackendName);
            // ProvidedTLS needs the certificate kuma-dp reported in its node metadata; without it Kuma falls back to
            // plain HTTP, as here. ActiveMTLSBackend gets the plain listener in Kuma too.
            var certificate = backend.Tls?.Mode == MeshMetricPolicy.ProvidedTlsMode && target.Node.HasMetricsCertificate ? target.Node : null;
            resources.Add(MetricsResources.PrometheusListener(name, target.Address,
                (uint)(backend.Port ?? DefaultPrometheusPort), backend.Path ?? DefaultPath, certificate));
        }

        var pushes = new List<KumaDpMetricsConfig.OpenTelemetryPush>();
        foreach (var backend in openTelemetry)
        {
            var backendName = OpenTelemetryEndpoint.BackendName(backend.Endpoint!);
            var socket = target.Node.KumaDpSocket("kuma-otel-" + backendName);
            var (host, port) = OpenTelemetryEndpoint.Parse(backend.Endpoint!);
            var name = MetricsResources.OpenTelemetryPrefix + backendName;
            resources.Add(MetricsResources.OpenTelemetryCluster(name, host, port, IsIpv6(target.Address)));
            resources.Add(MetricsResources.OpenTelemetryListener(name, socket));
            var interval = backend.RefreshInterval is { } text && Kuma.Validation.Durations.TryParse(text, out var parsed) ? parsed : DefaultRefreshInterval;
            pushes.Add(new(backendName, socket, interval));
        }

        // Nothing to scrape beside a zone proxy alone.
        var forDp = target.IsZoneProxyOnly && conf.Applications is not null
            ? new MeshMetricConf { Sidecar = conf.Sidecar, Backends = conf.Backends }
            : conf;
        DynamicConfig.AddRoute(resources, target.Node.KumaDpSocket("kuma-mesh-metric-config"), MetricsResources.HijackerStatsPath,
            KumaDpMetricsConfig.Json(forDp, target, prometheus.Count > 0, pushes));
    }

    private static bool IsIpv6(string address) => IPAddress.TryParse(address, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6;
}
