using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Extensions.HealthCheck.EventSinks.File.V3;
using Envoy.Type.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Validation;
using Kuma.Xds.Generation;

namespace Kuma.Policies.MeshHealthCheck;

/// <summary>
/// MeshHealthCheck as Kuma applies it to a sidecar: one active health check on each outbound cluster its
/// <c>to</c> rules select, of the kind the service's protocol calls for, plus the panic-mode settings of the
/// cluster's load balancer. HTTP checks carry the caller's <c>x-kuma-tags</c>, as every request from it does.
/// </summary>
public sealed class MeshHealthCheckPlugin : PolicyPlugin<MeshHealthCheckConf>
{
    private const string EventFileSink = "envoy.health_check.event_sinks.file";

    // Kuma's values when the conf leaves them out.
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);
    private const uint DefaultUnhealthyThreshold = 5;
    private const uint DefaultHealthyThreshold = 1;
    private const string DefaultHttpPath = "/";

    protected override IEnumerable<ProxylessGap> ProxylessGaps(OutboundTarget target, MeshHealthCheckConf conf) => MeshHealthCheckProxyless.Gaps(conf);

    protected override bool ReadsCallerTags(OutboundTarget target, MeshHealthCheckConf conf) =>
        HealthCheckSelection.Select(target.Protocol, conf) == HealthCheckKind.Http;

    protected override void OutboundCluster(Cluster cluster, OutboundTarget target, MeshHealthCheckConf? conf)
    {
        if (conf is not null) Configure(cluster, target.Protocol, conf, target.CallerTags);
    }

    /// <param name="callerTags">The caller's <c>x-kuma-tags</c> value; null when it has no tags.</param>
    public static void Configure(Cluster cluster, string protocol, MeshHealthCheckConf conf, string? callerTags)
    {
        if (conf.HealthyPanicThreshold is { } panic)
            (cluster.CommonLbConfig ??= new Cluster.Types.CommonLbConfig()).HealthyPanicThreshold = new Percent { Value = (double)Decimal(panic) };
        if (conf.FailTrafficOnPanic is { } fail) SetFailTrafficOnPanic(cluster, fail);

        var kind = HealthCheckSelection.Select(protocol, conf);
        if (kind == HealthCheckKind.None) return;
        var check = Timing(conf);
        switch (kind)
        {
            case HealthCheckKind.Tcp:
                check.TcpHealthCheck = Tcp(conf.Tcp!);
                break;
            case HealthCheckKind.Http:
                check.HttpHealthCheck = Http(conf.Http!, protocol, callerTags);
                break;
            case HealthCheckKind.Grpc:
                check.GrpcHealthCheck = new HealthCheck.Types.GrpcHealthCheck { ServiceName = conf.Grpc!.ServiceName ?? "", Authority = conf.Grpc.Authority ?? "" };
                break;
        }
        cluster.HealthChecks.Add(check);
    }

    /// <summary>Panic mode is a zone-aware setting; a cluster balancing by locality weights has no place for it.</summary>
    private static void SetFailTrafficOnPanic(Cluster cluster, bool fail)
    {
        var lb = cluster.CommonLbConfig ??= new Cluster.Types.CommonLbConfig();
        if (lb.LocalityConfigSpecifierCase == Cluster.Types.CommonLbConfig.LocalityConfigSpecifierOneofCase.LocalityWeightedLbConfig) return;
        lb.ZoneAwareLbConfig ??= new Cluster.Types.CommonLbConfig.Types.ZoneAwareLbConfig();
        lb.ZoneAwareLbConfig.FailTrafficOnPanic = fail;
    }

    private static HealthCheck Timing(MeshHealthCheckConf conf)
    {
        var check = new HealthCheck
        {
            Interval = Duration(conf.Interval, DefaultInterval),
            Timeout = Duration(conf.Timeout, DefaultTimeout),
            UnhealthyThreshold = conf.UnhealthyThreshold is { } unhealthy ? (uint)unhealthy : DefaultUnhealthyThreshold,
            HealthyThreshold = conf.HealthyThreshold is { } healthy ? (uint)healthy : DefaultHealthyThreshold,
        };
        if (conf.InitialJitter is { } initialJitter) check.InitialJitter = Duration(initialJitter, TimeSpan.Zero);
        if (conf.IntervalJitter is { } intervalJitter) check.IntervalJitter = Duration(intervalJitter, TimeSpan.Zero);
        if (conf.IntervalJitterPercent is { } percent) check.IntervalJitterPercent = (uint)percent;
        if (conf.EventLogPath is { } logPath)
        {
            check.EventLogger.Add(new TypedExtensionConfig
            {
                Name = EventFileSink,
                TypedConfig = Any.Pack(new HealthCheckEventFileSink { EventLogPath = logPath }),
            });
        }
        if (conf.AlwaysLogHealthCheckFailures is { } always) check.AlwaysLogHealthCheckFailures = always;
        if (conf.NoTrafficInterval is { } noTraffic) check.NoTrafficInterval = Duration(noTraffic, TimeSpan.Zero);
        if (conf.ReuseConnection is { } reuse) check.ReuseConnection = reuse;
        return check;
    }

    /// <summary>Kuma sends the payload strings' own bytes, hex-encoded (the base64 text is not decoded first).</summary>
    private static HealthCheck.Types.TcpHealthCheck Tcp(TcpHealthCheck conf)
    {
        var tcp = new HealthCheck.Types.TcpHealthCheck();
        if (conf.Send is { } send) tcp.Send = Payload(send);
        foreach (var receive in conf.Receive ?? []) tcp.Receive.Add(Payload(receive));
        return tcp;
    }

    private static HealthCheck.Types.Payload Payload(string text) => new() { Text = Convert.ToHexStringLower(Encoding.UTF8.GetBytes(text)) };

    private static HealthCheck.Types.HttpHealthCheck Http(HttpHealthCheck conf, string protocol, string? callerTags)
    {
        var http = new HealthCheck.Types.HttpHealthCheck
        {
            Path = conf.Path ?? DefaultHttpPath,
            CodecClientType = protocol == "http2" ? CodecClientType.Http2 : CodecClientType.Http1,
        };
        if (callerTags is not null) http.RequestHeadersToAdd.Add(new HeaderValueOption { Header = new HeaderValue { Key = KumaTagsHeader.Name, Value = callerTags } });
        AddHeaders(http, conf.RequestHeadersToAdd?.Add, HeaderValueOption.Types.HeaderAppendAction.AppendIfExistsOrAdd);
        AddHeaders(http, conf.RequestHeadersToAdd?.Set, HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd);
        // Each status is a range of one.
        foreach (var status in conf.ExpectedStatuses ?? []) http.ExpectedStatuses.Add(new Int64Range { Start = status, End = status + 1 });
        return http;
    }

    /// <summary>A comma-separated value becomes one header entry per value.</summary>
    private static void AddHeaders(HealthCheck.Types.HttpHealthCheck http, List<HeaderKeyValue>? headers, HeaderValueOption.Types.HeaderAppendAction action)
    {
        foreach (var header in headers ?? [])
        {
            foreach (var value in header.Value.Split(','))
                http.RequestHeadersToAdd.Add(new HeaderValueOption { Header = new HeaderValue { Key = header.Name, Value = value }, AppendAction = action });
        }
    }

    /// <summary>Kuma's int-or-string numbers; validation has already refused anything else.</summary>
    private static decimal Decimal(JsonNode node) => node.GetValueKind() == JsonValueKind.String
        ? decimal.Parse(node.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture)
        : node.GetValue<decimal>();

    private static Google.Protobuf.WellKnownTypes.Duration Duration(string? text, TimeSpan fallback) =>
        Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(text is not null && Durations.TryParse(text, out var value) ? value : fallback);
}
