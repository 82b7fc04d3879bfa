using System.Globalization;
using System.Net;
using SocketAddress = Envoy.Config.Core.V3.SocketAddress;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.GrpcCredential.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Endpoint = Envoy.Config.Endpoint.V3.Endpoint;
using HttpProtocolOptions = Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions;

namespace Kuma.Gateway.Dp;

/// <summary>The bootstrap's static clusters and the gRPC service Envoy's ADS (and HDS) stream uses.</summary>
internal static class BootstrapClusters
{
    private const string FileBasedMetadata = "envoy.grpc_credentials.file_based_metadata";

    /// <summary>Envoy reads the token from kuma-dp's file (and rereads it for each new stream) instead of carrying it.</summary>
    public static bool ReadsTokenFile(BootstrapInputs inputs) => inputs.Settings.ReloadableTokens && inputs.Request.DataplaneTokenPath.Length > 0;

    /// <summary>The access-log sink (kuma-dp's unix socket) and, unless Envoy dials the control plane itself, the ADS cluster.</summary>
    public static IEnumerable<Cluster> Build(BootstrapInputs inputs, string adsName, string accessLogSinkName)
    {
        var request = inputs.Request;
        var sink = Base(inputs, accessLogSinkName, Cluster.Types.DiscoveryType.Static,
            new Address { Pipe = new Pipe { Path = BootstrapNames.AccessLogSocket(request.Workdir, request.Name, request.Mesh) } });
        yield return sink;
        if (ReadsTokenFile(inputs)) yield break;

        var host = inputs.XdsHost;
        var ads = Base(inputs, adsName, IPAddress.TryParse(host, out _) ? Cluster.Types.DiscoveryType.Static : Cluster.Types.DiscoveryType.StrictDns,
            new Address { SocketAddress = new SocketAddress { Address = host, PortValue = inputs.XdsPort } });
        if (inputs.XdsHostIPv4Only) ads.DnsLookupFamily = Cluster.Types.DnsLookupFamily.V4Only;
        if (inputs.TrustedCaPem is not null)
        {
            ads.TransportSocket = new TransportSocket
            {
                Name = "envoy.transport_sockets.tls",
                TypedConfig = Any.Pack(new UpstreamTlsContext
                {
                    Sni = host,
                    CommonTlsContext = new CommonTlsContext
                    {
                        TlsParams = new TlsParameters { TlsMinimumProtocolVersion = TlsParameters.Types.TlsProtocol.Tlsv12 },
                        ValidationContextSdsSecretConfig = new SdsSecretConfig { Name = BootstrapNames.CpValidationContext },
                    },
                }),
            };
        }
        yield return ads;
    }

    private static Cluster Base(BootstrapInputs inputs, string name, Cluster.Types.DiscoveryType type, Address address) => new()
    {
        Name = name,
        ConnectTimeout = Duration.FromTimeSpan(inputs.Settings.XdsConnectTimeout),
        Type = type,
        UpstreamConnectionOptions = new UpstreamConnectionOptions { TcpKeepalive = new TcpKeepalive { KeepaliveProbes = 3, KeepaliveTime = 10, KeepaliveInterval = 10 } },
        LoadAssignment = new ClusterLoadAssignment
        {
            ClusterName = name,
            Endpoints = { new LocalityLbEndpoints { LbEndpoints = { new LbEndpoint { Endpoint = new Endpoint { Address = address } } } } },
        },
        TypedExtensionProtocolOptions =
        {
            ["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"] = Any.Pack(new HttpProtocolOptions
            {
                ExplicitHttpConfig = new HttpProtocolOptions.Types.ExplicitHttpConfig { Http2ProtocolOptions = new Http2ProtocolOptions() },
            }),
        },
    };

    /// <summary>
    /// Through the ADS cluster, with the token in the stream's metadata; or, when Envoy rereads the token from kuma-dp's
    /// file, Envoy's own gRPC client dialling the control plane with file-based call credentials.
    /// </summary>
    public static GrpcService Service(BootstrapInputs inputs, string adsName)
    {
        if (!ReadsTokenFile(inputs))
        {
            var service = new GrpcService { EnvoyGrpc = new GrpcService.Types.EnvoyGrpc { ClusterName = adsName } };
            if (inputs.Request.DataplaneToken.Length > 0)
                service.InitialMetadata.Add(new HeaderValue { Key = "authorization", Value = inputs.Request.DataplaneToken });
            return service;
        }
        var google = new GrpcService.Types.GoogleGrpc
        {
            TargetUri = JoinHostPort(inputs.XdsHost, inputs.XdsPort),
            StatPrefix = "ads",
            CredentialsFactoryName = FileBasedMetadata,
            CallCredentials =
            {
                new GrpcService.Types.GoogleGrpc.Types.CallCredentials
                {
                    FromPlugin = new GrpcService.Types.GoogleGrpc.Types.CallCredentials.Types.MetadataCredentialsFromPlugin
                    {
                        Name = FileBasedMetadata,
                        TypedConfig = Any.Pack(new FileBasedMetadataConfig { SecretData = new DataSource { Filename = inputs.Request.DataplaneTokenPath } }),
                    },
                },
            },
            ChannelArgs = new GrpcService.Types.GoogleGrpc.Types.ChannelArgs
            {
                Args =
                {
                    ["grpc.keepalive_time_ms"] = IntArg(10_000),
                    ["grpc.keepalive_timeout_ms"] = IntArg(30_000),
                    ["grpc.http2.max_pings_without_data"] = IntArg(0),
                    // Envoy's own gRPC client sizes the stream's receive window by this; a large first push must fit.
                    ["grpc.max_receive_message_length"] = IntArg(inputs.Settings.XdsGrpcMaxReceiveMessageBytes),
                },
            },
        };
        if (inputs.TrustedCaPem is { } ca)
        {
            google.ChannelCredentials = new GrpcService.Types.GoogleGrpc.Types.ChannelCredentials
            {
                SslCredentials = new GrpcService.Types.GoogleGrpc.Types.SslCredentials { RootCerts = new DataSource { InlineBytes = ByteString.CopyFromUtf8(ca) } },
            };
        }
        return new GrpcService { GoogleGrpc = google };
    }

    private static GrpcService.Types.GoogleGrpc.Types.ChannelArgs.Types.Value IntArg(long value) => new() { IntValue = value };

    private static string JoinHostPort(string host, uint port) =>
        (host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host) + ":" + port.ToString(CultureInfo.InvariantCulture);
}
