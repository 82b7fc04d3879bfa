using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;

namespace Kuma.Gateway.Dp;

/// <summary>
/// The node metadata of a sidecar's bootstrap, under Kuma's keys: what kuma-dp reported about itself, which Envoy
/// repeats on every xDS stream so the control plane can generate for it.
/// </summary>
public static class BootstrapNodeMetadata
{
    public const string Version = "version";
    public const string Features = "features";
    public const string Workdir = "workdir";
    public const string MetricsCertPath = "metricsCertPath";
    public const string MetricsKeyPath = "metricsKeyPath";
    public const string SystemCaPath = "systemCaPath";
    public const string IPv6Enabled = "ipv6Enabled";
    public const string SpireSocketPath = "spireAgent.socketPath";
    public const string DataplaneResource = "dataplane.resource";
    public const string AdminPort = "dataplane.admin.port";
    public const string AdminAddress = "dataplane.admin.address";
    public const string AdminSocketPath = "dataplane.admin.socketPath";
    public const string DnsPort = "dataplane.dns.port";
    public const string ReadinessPort = "dataplane.readinessReporter.port";
    public const string AppProbeProxyEnabled = "dataplane.appProbeProxy.enabled";
    public const string ProxyType = "dataplane.proxyType";
    public const string DynamicMetadata = "dynamicMetadata";
    public const string TransparentProxy = "transparentProxy";
    public const string OtelEnvInventory = "otelEnvInventory";

    /// <summary>The metadata for <paramref name="request"/>; ports travel as decimal strings, as Kuma writes them.</summary>
    public static Struct Build(BootstrapRequest request, string proxyType, uint adminPort, string adminAddress, string adminSocketPath)
    {
        var fields = new Struct();
        var f = fields.Fields;
        f[Version] = Value.ForStruct(VersionStruct(request.Version));
        f[Features] = Value.ForList(request.FeatureSet.Select(Value.ForString).ToArray());
        f[Workdir] = Value.ForString(request.Workdir);
        f[MetricsCertPath] = Value.ForString(request.MetricsResources.CertPath);
        f[MetricsKeyPath] = Value.ForString(request.MetricsResources.KeyPath);
        f[SystemCaPath] = Value.ForString(request.SystemCaPath);
        f[IPv6Enabled] = Value.ForBool(request.IPv6Enabled);
        f[SpireSocketPath] = Value.ForString(request.SpireResources.SocketPath);
        if (request.DataplaneResource.Length > 0) f[DataplaneResource] = Value.ForString(request.DataplaneResource);
        if (adminPort != 0)
        {
            f[AdminPort] = Value.ForString(adminPort.ToString(CultureInfo.InvariantCulture));
            f[AdminAddress] = Value.ForString(adminAddress);
            if (adminSocketPath.Length > 0) f[AdminSocketPath] = Value.ForString(adminSocketPath);
        }
        if (request.DnsPort != 0) f[DnsPort] = Value.ForString(request.DnsPort.ToString(CultureInfo.InvariantCulture));
        if (request.ReadinessPort != 0) f[ReadinessPort] = Value.ForString(request.ReadinessPort.ToString(CultureInfo.InvariantCulture));
        if (request.AppProbeProxyEnabled) f[AppProbeProxyEnabled] = Value.ForString("true");
        f[ProxyType] = Value.ForString(proxyType);
        if (request.DynamicMetadata is { Count: > 0 } dynamic)
        {
            var values = new Struct();
            foreach (var (key, value) in dynamic) values.Fields[key] = Value.ForString(value);
            f[DynamicMetadata] = Value.ForStruct(values);
        }
        if (request.TransparentProxy is { } transparentProxy) f[TransparentProxy] = Value.ForStruct(ToStruct(transparentProxy));
        if (request.OtelEnv is { } otel) f[OtelEnvInventory] = Value.ForStruct(ToStruct(otel));
        return fields;
    }

    /// <summary>kuma-dp's and Envoy's versions; empty fields are left out, as protobuf's JSON leaves them out.</summary>
    private static Struct VersionStruct(BootstrapVersion version)
    {
        var kumaDp = new Struct();
        Put(kumaDp, "version", version.KumaDp.Version);
        Put(kumaDp, "gitTag", version.KumaDp.GitTag);
        Put(kumaDp, "gitCommit", version.KumaDp.GitCommit);
        Put(kumaDp, "buildDate", version.KumaDp.BuildDate);
        var envoy = new Struct();
        Put(envoy, "version", version.Envoy.Version);
        Put(envoy, "build", version.Envoy.Build);
        if (version.Envoy.KumaDpCompatible) envoy.Fields["kumaDpCompatible"] = Value.ForBool(true);
        return new Struct { Fields = { ["kumaDp"] = Value.ForStruct(kumaDp), ["envoy"] = Value.ForStruct(envoy) } };
    }

    private static void Put(Struct target, string key, string value)
    {
        if (value.Length > 0) target.Fields[key] = Value.ForString(value);
    }

    private static Struct ToStruct(JsonObject json) => Struct.Parser.ParseJson(json.ToJsonString());
}
