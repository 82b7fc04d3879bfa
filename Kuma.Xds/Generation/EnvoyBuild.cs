using Envoy.Config.Core.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Router = Envoy.Extensions.Filters.Http.Router.V3.Router;

namespace Kuma.Xds.Generation;

/// <summary>Small pieces every builder needs.</summary>
public static class EnvoyBuild
{
    public const string HttpConnectionManagerFilter = "envoy.filters.network.http_connection_manager";
    public const string TcpProxyFilter = "envoy.filters.network.tcp_proxy";
    public const string RouterFilter = "envoy.filters.http.router";
    public const string Http2OptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

    public static ConfigSource Ads() => new() { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3 };

    public static Address SocketAddress(string address, uint port) =>
        new() { SocketAddress = new Envoy.Config.Core.V3.SocketAddress { Address = address, PortValue = port } };

    public static HttpFilter Router() => new() { Name = RouterFilter, TypedConfig = Any.Pack(new Router()) };

    public static Duration Seconds(long seconds) => Duration.FromTimeSpan(TimeSpan.FromSeconds(seconds));

    public static Metadata Tags(IEnumerable<KeyValuePair<string, string>> tags, string filter)
    {
        var fields = new Struct();
        foreach (var (key, value) in tags) fields.Fields[key] = Value.ForString(value);
        var metadata = new Metadata();
        metadata.FilterMetadata[filter] = fields;
        return metadata;
    }

    public static Any Http2ProtocolOptions() => Any.Pack(new Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions
    {
        ExplicitHttpConfig = new() { Http2ProtocolOptions = new Http2ProtocolOptions() },
    });

    public static bool IsHttp(string protocol) => protocol is "http" or "http2" or "grpc";
}
