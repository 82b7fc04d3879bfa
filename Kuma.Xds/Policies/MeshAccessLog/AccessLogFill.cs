using Envoy.Config.Accesslog.V3;
using Envoy.Config.Core.V3;
using Envoy.Extensions.AccessLoggers.File.V3;
using Envoy.Extensions.AccessLoggers.OpenTelemetry.V3;
using Google.Protobuf.WellKnownTypes;
using Opentelemetry.Proto.Common.V1;

namespace Kuma.Policies.MeshAccessLog;

/// <summary>The proxy-wide step's part of an access-log entry: the proxy's own values, socket and collector cluster names.</summary>
internal static class AccessLogFill
{
    public static void Fill(AccessLog entry, ProxyValues values, IReadOnlyDictionary<(string Host, uint Port), int> collectors)
    {
        if (entry.TypedConfig is not { } any) return;
        if (any.Is(FileAccessLog.Descriptor))
        {
            var file = any.Unpack<FileAccessLog>();
            if (file.Path == Placeholders.AccessLogSocket) file.Path = values.SocketPath;
            if (file.LogFormat is { } format) Fill(format, values);
            entry.TypedConfig = Any.Pack(file);
        }
        else if (any.Is(OpenTelemetryAccessLogConfig.Descriptor))
        {
            var otel = any.Unpack<OpenTelemetryAccessLogConfig>();
            if (otel.Body is { } body) AccessLogEntries.Fill(body, text => Placeholders.FillProxy(text, values));
            foreach (var list in new[] { otel.Attributes, otel.ResourceAttributes })
            {
                if (list is null) continue;
                foreach (var pair in list.Values)
                {
                    pair.Key = Placeholders.FillProxy(pair.Key, values);
                    if (pair.Value is { } value) AccessLogEntries.Fill(value, text => Placeholders.FillProxy(text, values));
                }
            }
            if (otel.CommonConfig?.GrpcService?.EnvoyGrpc is { } grpc && OtelCollectors.FromToken(grpc.ClusterName) is { } collector
                && collectors.TryGetValue(collector, out var index))
            {
                grpc.ClusterName = OtelCollectors.ClusterName(index);
            }
            entry.TypedConfig = Any.Pack(otel);
        }
    }

    private static void Fill(SubstitutionFormatString format, ProxyValues values)
    {
        if (format.TextFormatSource is { InlineString: { } text } source) source.InlineString = Placeholders.FillProxy(text, values);
        if (format.JsonFormat is { } json) Fill(json, values);
    }

    private static void Fill(Struct json, ProxyValues values)
    {
        foreach (var key in json.Fields.Keys.ToList())
        {
            var value = json.Fields[key];
            if (value.KindCase == Value.KindOneofCase.StringValue) json.Fields[key] = Value.ForString(Placeholders.FillProxy(value.StringValue, values));
            else if (value.KindCase == Value.KindOneofCase.StructValue) Fill(value.StructValue, values);
        }
    }
}
