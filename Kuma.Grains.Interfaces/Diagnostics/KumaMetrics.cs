using System.Diagnostics.Metrics;

namespace Kuma.Diagnostics;

/// <summary>
/// The control plane's own figures, recorded with System.Diagnostics.Metrics and exported on the diagnostics
/// port's <c>/metrics</c>. Names follow Kuma's where Kuma has one; every per-tenant figure carries a
/// <c>tenant</c> tag, set only once the caller is authenticated (<see cref="UnknownTenant"/> before), so an
/// unauthenticated caller cannot create series.
/// </summary>
public static class KumaMetrics
{
    public const string MeterName = "Kuma.ControlPlane";
    public const string UnknownTenant = "-";

    public static readonly Meter Meter = new(MeterName);

    /// <summary>Open ADS streams (connected proxies) on this node, per tenant.</summary>
    public static readonly UpDownCounter<long> StreamsActive =
        Meter.CreateUpDownCounter<long>("xds_streams_active", description: "Number of active xDS streams (connected proxies)");

    /// <summary>Time to build one proxy's config from its mesh's snapshot, in milliseconds (Kuma records this in ms).</summary>
    public static readonly Histogram<double> Generation =
        Meter.CreateHistogram<double>("xds_generation", unit: "ms", description: "Time to generate the xDS config of one proxy");

    /// <summary>Time from sending a response of one type to the proxy's ACK of it, in milliseconds.</summary>
    public static readonly Histogram<double> Delivery =
        Meter.CreateHistogram<double>("xds_delivery", unit: "ms", description: "Time from an xDS response to its ACK");

    /// <summary>DiscoveryRequests that confirm a response: <c>confirmation</c> is ACK or NACK.</summary>
    public static readonly Counter<long> RequestsReceived =
        Meter.CreateCounter<long>("xds_requests_received", description: "xDS requests confirming a response (ACK or NACK)");

    public static readonly Counter<long> ResponsesSent =
        Meter.CreateCounter<long>("xds_responses_sent", description: "xDS responses sent");

    /// <summary>REST API requests by tenant, route template (<c>handler</c>), method and status code.</summary>
    public static readonly Histogram<double> ApiRequestDuration =
        Meter.CreateHistogram<double>("api_server_http_request_duration_seconds", unit: "s", description: "Duration of REST API requests");

    /// <summary>Store calls by operation, in seconds (Kuma's <c>store</c> histogram).</summary>
    public static readonly Histogram<double> Store =
        Meter.CreateHistogram<double>("store", unit: "s", description: "Duration of store operations");

    /// <summary>Store calls that failed, by operation and the failure's kind.</summary>
    public static readonly Counter<long> StoreErrors =
        Meter.CreateCounter<long>("store_errors", description: "Store operations that failed");
}
