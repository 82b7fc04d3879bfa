using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Envoy.Config.Accesslog.V3;
using Envoy.Config.Core.V3;
using Envoy.Extensions.AccessLoggers.File.V3;
using Envoy.Extensions.AccessLoggers.Filters.Cel.V3;
using Envoy.Extensions.AccessLoggers.Grpc.V3;
using Envoy.Extensions.AccessLoggers.OpenTelemetry.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Opentelemetry.Proto.Common.V1;
using KeyValue = Opentelemetry.Proto.Common.V1.KeyValue;

namespace Kuma.Policies.MeshAccessLog;

/// <summary>Envoy access-log entries for MeshAccessLog backends, as Kuma writes them (placeholders filled as far as a unit can).</summary>
public static class AccessLogEntries
{
    public const string FileLogger = "envoy.access_loggers.file";
    public const string OpenTelemetryLogger = "envoy.access_loggers.open_telemetry";
    public const string CelFilter = "envoy.access_loggers.extension_filters.cel";
    public const string OtelLogName = "MeshAccessLog";
    public const uint DefaultCollectorPort = 4317;

    public const string DefaultTcpFormat =
        "[%START_TIME%] %RESPONSE_FLAGS% %KUMA_MESH% %KUMA_SOURCE_ADDRESS_WITHOUT_PORT%(%KUMA_SOURCE_SERVICE%)->%UPSTREAM_HOST%(%KUMA_DESTINATION_SERVICE%) took %DURATION%ms, sent %BYTES_SENT% bytes, received: %BYTES_RECEIVED% bytes";

    public const string DefaultHttpFormat =
        "[%START_TIME%] %KUMA_MESH% \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% \"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" \"%REQ(X-B3-TRACEID?X-DATADOG-TRACEID)%\" \"%REQ(X-REQUEST-ID)%\" \"%REQ(:AUTHORITY)%\" \"%KUMA_SOURCE_SERVICE%\" \"%KUMA_DESTINATION_SERVICE%\" \"%KUMA_SOURCE_ADDRESS_WITHOUT_PORT%\" \"%UPSTREAM_HOST%\"";

    public static string DefaultFormat(string protocol) => Kuma.Xds.Generation.EnvoyBuild.IsHttp(protocol) ? DefaultHttpFormat : DefaultTcpFormat;

    /// <summary>
    /// The entries for one conf's backends, in their order; an OpenTelemetry backend whose collector cannot be
    /// resolved here (a MeshOpenTelemetryBackend reference) is left out, as Kuma leaves out one it cannot resolve.
    /// </summary>
    public static List<AccessLog> For(MeshAccessLogConf conf, string defaultFormat, UnitValues values, string? celExpression = null)
    {
        var entries = new List<AccessLog>();
        foreach (var backend in conf.Backends ?? [])
        {
            if (Entry(backend, defaultFormat, values) is not { } entry) continue;
            if (celExpression is { Length: > 0 })
            {
                entry.Filter = new AccessLogFilter
                {
                    ExtensionFilter = new ExtensionFilter { Name = CelFilter, TypedConfig = Any.Pack(new ExpressionFilter { Expression = celExpression }) },
                };
            }
            entries.Add(entry);
        }
        return entries;
    }

    private static AccessLog? Entry(AccessLogBackend backend, string defaultFormat, UnitValues values) => backend.Type switch
    {
        BackendTypes.File when backend.File is { } file => FileEntry(file.Path ?? "", FileFormat(file.Format, defaultFormat, values)),
        // Kuma hands TCP lines to kuma-dp through a per-proxy socket, each as JSON with the collector's address.
        BackendTypes.Tcp when backend.Tcp is { } tcp => FileEntry(Placeholders.AccessLogSocket, TcpFormat(tcp, defaultFormat, values)),
        BackendTypes.OpenTelemetry when backend.OpenTelemetry is { } otel && Collector(otel) is { } collector =>
            OtelEntry(otel, collector, defaultFormat, values),
        _ => null,
    };

    private static AccessLog FileEntry(string path, SubstitutionFormatString format) => new()
    {
        Name = FileLogger,
        TypedConfig = Any.Pack(new FileAccessLog { Path = path, LogFormat = format }),
    };

    private static SubstitutionFormatString FileFormat(AccessLogFormat? format, string defaultFormat, UnitValues values)
    {
        if (format?.Plain is { } plain) return Text(Placeholders.FillUnit(plain + "\n", values), format.OmitEmptyValues ?? false);
        if (format?.Json is { } json) return JsonFormat(Fields(json, values), format.OmitEmptyValues ?? false);
        return Text(Placeholders.FillUnit(defaultFormat + "\n", values), omitEmpty: false);
    }

    private static SubstitutionFormatString TcpFormat(TcpBackend tcp, string defaultFormat, UnitValues values)
    {
        var format = tcp.Format;
        Value message = format?.Plain is { } plain ? Value.ForString(Placeholders.FillUnit(plain + "\n", values))
            : format?.Json is { } json ? Value.ForStruct(Fields(json, values))
            : Value.ForString(Placeholders.FillUnit(defaultFormat + "\n", values));
        var fields = new Struct();
        fields.Fields["address"] = Value.ForString(tcp.Address ?? "");
        fields.Fields["message"] = message;
        return JsonFormat(fields, format is not null && (format.Plain is not null || format.Json is not null) && (format.OmitEmptyValues ?? false));
    }

    private static SubstitutionFormatString Text(string text, bool omitEmpty) => new()
    {
        TextFormatSource = new DataSource { InlineString = text },
        OmitEmptyValues = omitEmpty,
    };

    private static SubstitutionFormatString JsonFormat(Struct fields, bool omitEmpty) => new() { JsonFormat = fields, OmitEmptyValues = omitEmpty };

    /// <summary>Keys in order, as Kuma's deterministic encoding of its map puts them; a repeated key keeps its last value.</summary>
    private static Struct Fields(List<JsonField> json, UnitValues values)
    {
        var byKey = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in json) byKey[field.Key ?? ""] = Placeholders.FillUnit(field.Value ?? "", values);
        var fields = new Struct();
        foreach (var (key, value) in byKey) fields.Fields[key] = Value.ForString(value);
        return fields;
    }

    private static AccessLog OtelEntry(OtelBackend otel, (string Host, uint Port) collector, string defaultFormat, UnitValues values)
    {
        var attributes = new KeyValueList();
        foreach (var attribute in otel.Attributes ?? [])
        {
            attributes.Values.Add(new KeyValue
            {
                Key = Placeholders.FillUnit(attribute.Key ?? "", values),
                Value = new AnyValue { StringValue = Placeholders.FillUnit(attribute.Value ?? "", values) },
            });
        }
        var config = new OpenTelemetryAccessLogConfig
        {
            CommonConfig = new CommonGrpcAccessLogConfig
            {
                LogName = OtelLogName,
                GrpcService = new GrpcService { EnvoyGrpc = new GrpcService.Types.EnvoyGrpc { ClusterName = CollectorClusterToken(collector) } },
            },
            Body = Body(otel.Body, defaultFormat, values),
            Attributes = attributes,
            // Zone and workload join these in Kuma when the Dataplane has them (see ProxyValues).
            ResourceAttributes = new KeyValueList { Values = { new KeyValue { Key = "kuma.mesh", Value = new AnyValue { StringValue = Placeholders.Mesh } } } },
        };
        return new AccessLog { Name = OpenTelemetryLogger, TypedConfig = Any.Pack(config) };
    }

    /// <summary>
    /// Kuma reads the body as an OTLP <c>AnyValue</c> in JSON and fills placeholders in its strings and keys; anything
    /// else (a plain YAML string too, quotes and all, since Kuma keeps the raw JSON) becomes a string body. No body is
    /// the default format without its line break.
    /// </summary>
    private static AnyValue Body(System.Text.Json.Nodes.JsonNode? body, string defaultFormat, UnitValues values)
    {
        if (body is null) return new AnyValue { StringValue = Placeholders.FillUnit(defaultFormat, values) };
        var raw = body.ToJsonString(RawJson);
        try
        {
            var parsed = JsonParser.Default.Parse<AnyValue>(raw);
            Fill(parsed, text => Placeholders.FillUnit(text, values));
            return parsed;
        }
        catch (InvalidProtocolBufferException)
        {
            return new AnyValue { StringValue = Placeholders.FillUnit(raw, values) };
        }
        catch (InvalidJsonException)
        {
            return new AnyValue { StringValue = Placeholders.FillUnit(raw, values) };
        }
    }

    private static readonly JsonSerializerOptions RawJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Fills placeholders in every string of an OTLP value: strings, list items, and keys and values of key-value lists.</summary>
    public static void Fill(AnyValue value, Func<string, string> fill)
    {
        switch (value.ValueCase)
        {
            case AnyValue.ValueOneofCase.StringValue:
                value.StringValue = fill(value.StringValue);
                break;
            case AnyValue.ValueOneofCase.ArrayValue:
                foreach (var item in value.ArrayValue.Values) Fill(item, fill);
                break;
            case AnyValue.ValueOneofCase.KvlistValue:
                foreach (var pair in value.KvlistValue.Values)
                {
                    if (pair.Value is not null) Fill(pair.Value, fill);
                    pair.Key = fill(pair.Key);
                }
                break;
        }
    }

    /// <summary>The collector an inline endpoint names (<c>host</c> or <c>host:port</c>); null for a backend reference.</summary>
    public static (string Host, uint Port)? Collector(OtelBackend otel)
    {
        if (otel.BackendRef is not null || otel.Endpoint is not { Length: > 0 } endpoint) return null;
        if (endpoint.StartsWith('['))
        {
            var close = endpoint.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) return (endpoint, DefaultCollectorPort);
            var host = endpoint[1..close];
            return endpoint.Length > close + 2 && endpoint[close + 1] == ':' && uint.TryParse(endpoint[(close + 2)..], out var p) ? (host, p) : (host, DefaultCollectorPort);
        }
        var colon = endpoint.LastIndexOf(':');
        return colon > 0 && endpoint.IndexOf(':', StringComparison.Ordinal) == colon && uint.TryParse(endpoint[(colon + 1)..], out var port)
            ? (endpoint[..colon], port)
            : (endpoint, DefaultCollectorPort);
    }

    public static string CollectorClusterToken((string Host, uint Port) collector) => $"{Placeholders.CollectorCluster}{collector.Host}:{collector.Port}";

    /// <summary>
    /// Kuma's condition for a rule's match, in Envoy's CEL: the caller's SPIFFE ID (exact or prefix) and the requested
    /// server name, all of those present; empty for a match-less rule.
    /// </summary>
    public static string Cel(Match? match)
    {
        if (match is null) return "";
        var parts = new List<string>(2);
        if (match.SpiffeID is { } spiffe)
        {
            if (spiffe.Type == "Exact") parts.Add($"connection.uri_san_peer_certificate == {Quote(spiffe.Value ?? "")}");
            else if (spiffe.Type == "Prefix") parts.Add($"connection.uri_san_peer_certificate.startsWith({Quote(spiffe.Value ?? "")})");
        }
        if (match.Sni is { Type: "Exact" } sni) parts.Add($"connection.requested_server_name == {Quote(sni.Value ?? "")}");
        return string.Join(" && ", parts);
    }

    private static string Quote(string text)
    {
        var quoted = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            if (c is '"' or '\\') quoted.Append('\\').Append(c);
            else if (char.IsControl(c)) quoted.Append($"\\x{(int)c:x2}");
            else quoted.Append(c);
        }
        return quoted.Append('"').ToString();
    }
}
