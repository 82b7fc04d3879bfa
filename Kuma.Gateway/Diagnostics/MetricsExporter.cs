using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Kuma.Diagnostics;
using Prometheus;

namespace Kuma.Gateway.Diagnostics;

/// <summary>
/// The <c>/metrics</c> registry of one host (prometheus-net). The control plane's own instruments (meter
/// <see cref="KumaMetrics.MeterName"/>) are carried over under their own names, as Kuma names them: counters as
/// counters, histograms with buckets fit for their unit, up-down counters as gauges. Orleans' meters go through
/// prometheus-net's meter adapter, which prefixes each with its meter's name (<c>microsoft_orleans_…</c>).
/// </summary>
public sealed class MetricsExporter : IDisposable
{
    private static readonly double[] MillisecondBuckets = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];
    private static readonly double[] SecondBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly MeterListener _listener = new();
    private readonly IDisposable _orleans;
    private readonly MetricFactory _factory;
    private readonly ConcurrentDictionary<Instrument, Action<double, string[], string[]>> _sinks = new();

    public MetricsExporter()
    {
        Registry = Metrics.NewCustomRegistry();
        _factory = (MetricFactory)Metrics.WithCustomRegistry(Registry);
        _orleans = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = Registry,
            MetricFactory = _factory,
            InstrumentFilterPredicate = i => i.Meter.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal),
            // The adapter drops a series not updated for this long (a day at most); Orleans' observable figures are read at every scrape.
            MetricsExpireAfter = TimeSpan.FromDays(1),
        });
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name != KumaMetrics.MeterName) return;
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => Record(i, value, tags));
        _listener.Start();
    }

    public CollectorRegistry Registry { get; }

    public Task WriteAsync(Stream output, CancellationToken ct) => Registry.CollectAndExportAsTextAsync(output, ct);

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // Label order must be stable; tags come in whatever order the caller listed them.
        var ordered = tags.ToArray();
        Array.Sort(ordered, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var names = new string[ordered.Length];
        var values = new string[ordered.Length];
        for (var i = 0; i < ordered.Length; i++)
        {
            names[i] = ordered[i].Key;
            values[i] = ordered[i].Value?.ToString() ?? "";
        }
        _sinks.GetOrAdd(instrument, SinkFor)(value, names, values);
    }

    private Action<double, string[], string[]> SinkFor(Instrument instrument)
    {
        var help = instrument.Description ?? instrument.Name;
        return instrument switch
        {
            Counter<long> or Counter<double> => (value, names, values) =>
                _factory.CreateCounter(instrument.Name, help, names).WithLabels(values).Inc(value),
            UpDownCounter<long> or UpDownCounter<double> => (value, names, values) =>
                _factory.CreateGauge(instrument.Name, help, names).WithLabels(values).Inc(value),
            Histogram<long> or Histogram<double> => (value, names, values) =>
                _factory.CreateHistogram(instrument.Name, help, names, new HistogramConfiguration { Buckets = BucketsOf(instrument) })
                    .WithLabels(values).Observe(value),
            _ => Ignore,
        };
    }

    private static void Ignore(double value, string[] names, string[] values)
    {
    }

    private static double[] BucketsOf(Instrument instrument) => instrument.Unit == "ms" ? MillisecondBuckets : SecondBuckets;

    public void Dispose()
    {
        _listener.Dispose();
        _orleans.Dispose();
    }
}
