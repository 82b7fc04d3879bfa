using Kuma.Diagnostics;
using Kuma.Grains;

namespace Kuma.Gateway.Diagnostics;

/// <summary>
/// One ADS stream's figures: it counts as a connected proxy of its tenant while it lives, and turns the stream's
/// events into ACK/NACK counts by type and delivery times (a response's send to its ACK).
/// </summary>
public sealed class StreamMeter : IDisposable
{
    private readonly KeyValuePair<string, object?> _tenant;
    private readonly UsageCounters _usage;
    private readonly string _tenantName;
    private readonly Dictionary<string, DateTimeOffset> _sentAt = [];

    public StreamMeter(string tenant, UsageCounters usage)
    {
        _tenantName = tenant;
        _tenant = new("tenant", tenant);
        _usage = usage;
        KumaMetrics.StreamsActive.Add(1, _tenant);
        usage.Connected(tenant);
    }

    public void Generated(TimeSpan took) => KumaMetrics.Generation.Record(took.TotalMilliseconds, _tenant);

    public void Observe(IReadOnlyList<XdsEvent> events)
    {
        foreach (var e in events)
        {
            var type = new KeyValuePair<string, object?>("type_url", e.TypeUrl);
            switch (e.Kind)
            {
                case XdsEventKind.Sent:
                    _sentAt[e.TypeUrl] = e.Time;
                    KumaMetrics.ResponsesSent.Add(1, _tenant, type);
                    _usage.ConfigPushed(_tenantName);
                    break;
                case XdsEventKind.Acked:
                    KumaMetrics.RequestsReceived.Add(1, new("confirmation", "ACK"), _tenant, type);
                    if (_sentAt.Remove(e.TypeUrl, out var sent)) KumaMetrics.Delivery.Record((e.Time - sent).TotalMilliseconds, _tenant, type);
                    break;
                case XdsEventKind.Nacked:
                    KumaMetrics.RequestsReceived.Add(1, new("confirmation", "NACK"), _tenant, type);
                    _sentAt.Remove(e.TypeUrl);
                    break;
            }
        }
    }

    public void Dispose()
    {
        KumaMetrics.StreamsActive.Add(-1, _tenant);
        _usage.Disconnected(_tenantName);
    }
}
