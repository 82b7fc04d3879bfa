using Envoy.Config.Accesslog.V3;
using Envoy.Config.Bootstrap.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Metrics.V3;
using Envoy.Config.Overload.V3;
using Envoy.Extensions.AccessLoggers.File.V3;
using Envoy.Extensions.RegexEngines.V3;
using Envoy.Extensions.ResourceMonitors.DownstreamConnections.V3;
using Envoy.Extensions.ResourceMonitors.FixedHeap.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Kuma.Gateway.Dp;

/// <summary>
/// A sidecar's Envoy bootstrap as Kuma makes it, from its inputs alone (no I/O, so it can be compared with Kuma's
/// own bootstraps for the same inputs).
/// </summary>
public static class BootstrapGenerator
{
    public static BootstrapResult Generate(BootstrapInputs inputs)
    {
        var request = inputs.Request;
        var proxyType = request.ProxyType.Length > 0 ? request.ProxyType : "dataplane";
        var unifiedNames = request.HasFeature(BootstrapNames.UnifiedResourceNamingFeature)
            && string.Equals(inputs.Mesh?.MeshServices?.Mode, "Exclusive", StringComparison.Ordinal);
        var adsName = unifiedNames ? BootstrapNames.SystemAdsCluster : BootstrapNames.AdsCluster;
        var sinkName = unifiedNames ? BootstrapNames.SystemAccessLogSinkCluster : BootstrapNames.AccessLogSinkCluster;
        var gateway = BootstrapDataplane.IsBuiltinGateway(inputs.Dataplane);

        var adminPort = inputs.Dataplane.Networking?.Admin?.Port is > 0 and var own ? own : inputs.Settings.AdminPort;
        var adminSocket = inputs.Settings.EnvoyAdminUnixSocket && request.Workdir.Length > 0 ? BootstrapNames.AdminSocket(request.Workdir) : "";

        var bootstrap = new Bootstrap
        {
            Node = new Node
            {
                Id = $"{request.Mesh}.{request.Name}",
                Cluster = BootstrapDataplane.ServiceName(inputs.Dataplane),
                Metadata = BootstrapNodeMetadata.Build(request, proxyType, adminPort, inputs.Settings.AdminAddress, adminSocket),
            },
            LayeredRuntime = new LayeredRuntime { Layers = { KumaRuntimeLayer } },
            StatsConfig = new StatsConfig { StatsTags = { StatsTags } },
            DynamicResources = new Bootstrap.Types.DynamicResources
            {
                LdsConfig = AdsSource(),
                CdsConfig = AdsSource(),
                AdsConfig = new ApiConfigSource
                {
                    ApiType = request.HasFeature(BootstrapNames.DeltaGrpcFeature) ? ApiConfigSource.Types.ApiType.DeltaGrpc : ApiConfigSource.Types.ApiType.Grpc,
                    TransportApiVersion = ApiVersion.V3,
                    SetNodeOnFirstMessageOnly = true,
                    GrpcServices = { BootstrapClusters.Service(inputs, adsName) },
                },
            },
            StaticResources = new Bootstrap.Types.StaticResources { Clusters = { BootstrapClusters.Build(inputs, adsName, sinkName) } },
            DefaultRegexEngine = new TypedExtensionConfig { Name = "envoy.regex_engines.google_re2", TypedConfig = Any.Pack(new GoogleRE2()) },
        };
        if (inputs.TrustedCaPem is { } ca) bootstrap.StaticResources.Secrets.Add(ControlPlaneValidation(inputs.XdsHost, ca));
        // Kuma also names its health discovery service (hdsConfig) when that is on; this control plane has none.
        // Kuma's gateways also get a runtime layer over RTDS, which this control plane does not serve: Envoy would
        // wait for it at every start. Their overload manager needs nothing from the control plane and is kept.
        if (gateway) bootstrap.OverloadManager = GatewayOverloadManager(inputs);
        if (adminPort != 0) bootstrap.Admin = Admin(inputs.Settings, adminPort, adminSocket);

        return new BootstrapResult(bootstrap, new KumaSidecarConfiguration
        {
            Networking = new KumaSidecarNetworking(inputs.CorefileTemplate, inputs.Dataplane.Networking?.Address ?? ""),
            Metrics = new KumaSidecarMetrics(BootstrapDataplane.AggregateMetrics(inputs.Dataplane, inputs.Mesh)),
        });
    }

    /// <summary>
    /// Kuma's runtime layer: Envoy rejects a regex whose RE2 program exceeds 100 by default, and generated regexes
    /// (route paths, callers' SPIFFE ids in MeshRateLimit) grow with the names in them, so the limit is lifted.
    /// </summary>
    private static readonly RuntimeLayer KumaRuntimeLayer = new()
    {
        Name = "kuma",
        StaticLayer = new Struct
        {
            Fields =
            {
                ["re2.max_program_size.error_level"] = Value.ForNumber(4294967295),
                ["re2.max_program_size.warn_level"] = Value.ForNumber(1000),
            },
        },
    };

    /// <summary>The tags Kuma extracts from Envoy's stat names (gRPC, Kafka, worker and RBAC stats).</summary>
    private static readonly TagSpecifier[] StatsTags =
    [
        new() { TagName = "name", Regex = @"^grpc\.((.+)\.)" },
        new() { TagName = "status", Regex = @"^grpc.*streams_closed(_([0-9]+))" },
        new() { TagName = "kafka_name", Regex = @"^kafka(\.(\S*[0-9]))\." },
        new() { TagName = "kafka_type", Regex = @"^kafka\..*\.(.*?(?=_duration|$))" },
        new() { TagName = "worker", Regex = @"(worker_([0-9]+)\.)" },
        new() { TagName = "listener", Regex = @"((.+?)\.)rbac\." },
    ];

    private static ConfigSource AdsSource() => new() { Ads = new AggregatedConfigSource(), InitialFetchTimeout = new Duration(), ResourceApiVersion = ApiVersion.V3 };

    /// <summary>What Envoy trusts the control plane's certificate with, and the names that certificate must carry.</summary>
    private static Secret ControlPlaneValidation(string xdsHost, string caPem) => new()
    {
        Name = BootstrapNames.CpValidationContext,
        ValidationContext = new CertificateValidationContext
        {
            MatchTypedSubjectAltNames =
            {
                new SubjectAltNameMatcher { SanType = SubjectAltNameMatcher.Types.SanType.Dns, Matcher = new StringMatcher { Exact = xdsHost } },
                new SubjectAltNameMatcher { SanType = SubjectAltNameMatcher.Types.SanType.IpAddress, Matcher = new StringMatcher { Exact = xdsHost } },
            },
            TrustedCa = new DataSource { InlineBytes = ByteString.CopyFromUtf8(caPem) },
        },
    };

    private static Admin Admin(BootstrapSettings settings, uint port, string socketPath)
    {
        var admin = new Admin
        {
            Address = socketPath.Length > 0
                ? new Address { Pipe = new Pipe { Path = socketPath, Mode = Convert.ToUInt32("600", 8) } }
                : new Address { SocketAddress = new SocketAddress { Address = settings.AdminAddress, PortValue = port } },
        };
        if (settings.AdminAccessLogPath.Length > 0)
            admin.AccessLog.Add(new AccessLog { Name = "envoy.access_loggers.file", TypedConfig = Any.Pack(new FileAccessLog { Path = settings.AdminAccessLogPath }) });
        return admin;
    }

    private static OverloadManager GatewayOverloadManager(BootstrapInputs inputs)
    {
        const string heapMonitor = "envoy.resource_monitors.fixed_heap";
        var manager = new OverloadManager
        {
            RefreshInterval = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(250)),
            ResourceMonitors =
            {
                new ResourceMonitor
                {
                    Name = "envoy.resource_monitors.global_downstream_max_connections",
                    TypedConfig = Any.Pack(new DownstreamConnectionsConfig { MaxActiveDownstreamConnections = inputs.Settings.GatewayGlobalDownstreamMaxConnections }),
                },
            },
        };
        if (inputs.Request.Resources.MaxHeapSizeBytes is > 0 and var heap)
        {
            manager.ResourceMonitors.Add(new ResourceMonitor { Name = heapMonitor, TypedConfig = Any.Pack(new FixedHeapConfig { MaxHeapSizeBytes = heap }) });
            manager.Actions.Add(HeapAction("envoy.overload_actions.shrink_heap", heapMonitor, 0.95));
            manager.Actions.Add(HeapAction("envoy.overload_actions.stop_accepting_requests", heapMonitor, 0.98));
        }
        return manager;
    }

    private static OverloadAction HeapAction(string name, string monitor, double threshold) => new()
    {
        Name = name,
        Triggers = { new Trigger { Name = monitor, Threshold = new ThresholdTrigger { Value = threshold } } },
    };
}

/// <summary>The bootstrap and what kuma-dp itself is told (Kuma's <c>kumaSidecarConfiguration</c>).</summary>
public sealed record BootstrapResult(Bootstrap Bootstrap, KumaSidecarConfiguration Sidecar);
