using Envoy.Config.GrpcCredential.V3;
using Envoy.Extensions.AccessLoggers.File.V3;
using Envoy.Extensions.RegexEngines.V3;
using Envoy.Extensions.ResourceMonitors.DownstreamConnections.V3;
using Envoy.Extensions.ResourceMonitors.FixedHeap.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using HttpProtocolOptions = Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions;

namespace Kuma.Gateway.Dp;

/// <summary>
/// A bootstrap as protobuf JSON with JSON field names, the form of Kuma's bootstrap YAML (JSON being YAML, Envoy
/// reads it either way), and the types packed inside it.
/// </summary>
public static class BootstrapJson
{
    public static TypeRegistry Types { get; } = TypeRegistry.FromMessages(
        HttpProtocolOptions.Descriptor, UpstreamTlsContext.Descriptor, FileAccessLog.Descriptor, GoogleRE2.Descriptor,
        FileBasedMetadataConfig.Descriptor, DownstreamConnectionsConfig.Descriptor, FixedHeapConfig.Descriptor);

    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithTypeRegistry(Types));

    public static JsonParser Parser { get; } = new(JsonParser.Settings.Default.WithTypeRegistry(Types));

    public static string Format(IMessage bootstrap) => Formatter.Format(bootstrap);
}
