using System.Globalization;

namespace Kuma.ClusterAgent.Injection;

/// <summary>
/// kuma-init's command line from the pod's (already injected) annotations, as Kuma's injector writes it: only settings
/// that differ from kumactl's defaults, excludes as given, and the application probe proxy's port never redirected.
/// </summary>
internal static class TransparentProxyArgs
{
    private const string DefaultUid = "5678";
    private const string DefaultIpFamilyMode = "dualstack";
    private const int DefaultOutboundPort = 15001;
    private const int DefaultInboundPort = 15006;

    public static List<string> For(IReadOnlyDictionary<string, string> annotations)
    {
        var args = new List<string>();
        var uid = annotations.GetValueOrDefault(KumaAnnotations.SidecarUid, "");
        if (uid != DefaultUid && uid.Length > 0) args.Add($"--kuma-dp-user={uid}");
        var ipFamily = annotations.GetValueOrDefault(KumaAnnotations.IpFamilyMode, DefaultIpFamilyMode);
        if (ipFamily != DefaultIpFamilyMode) args.Add($"--ip-family-mode={ipFamily}");

        var outbound = AnnotationValues.Port(annotations, KumaAnnotations.OutboundRedirectPort) ?? DefaultOutboundPort;
        if (outbound != DefaultOutboundPort) args.Add($"--redirect-outbound-port={outbound.ToString(CultureInfo.InvariantCulture)}");
        AddIfSet(args, "exclude-outbound-ports", annotations.GetValueOrDefault(KumaAnnotations.ExcludeOutboundPorts));
        AddIfSet(args, "exclude-outbound-ips", TrimmedList(annotations.GetValueOrDefault(KumaAnnotations.ExcludeOutboundIps)));
        if (annotations.GetValueOrDefault(KumaAnnotations.ExcludeOutboundPortsForUids) is { Length: > 0 } forUids)
            foreach (var entry in forUids.Split(';')) AddIfSet(args, "exclude-outbound-ports-for-uids", entry);

        var inbound = AnnotationValues.Port(annotations, KumaAnnotations.InboundRedirectPort) ?? DefaultInboundPort;
        if (inbound != DefaultInboundPort) args.Add($"--redirect-inbound-port={inbound.ToString(CultureInfo.InvariantCulture)}");
        AddIfSet(args, "exclude-inbound-ports", InboundExcludes(annotations));
        AddIfSet(args, "exclude-inbound-ips", TrimmedList(annotations.GetValueOrDefault(KumaAnnotations.ExcludeInboundIps)));

        if (IsTrue(annotations, KumaAnnotations.DropInvalidPackets)) args.Add("--drop-invalid-packets");
        if (IsTrue(annotations, KumaAnnotations.IptablesLogs)) args.Add("--iptables-logs");
        args.Add("--verbose");
        return args;
    }

    /// <summary>The probe proxy answers the kubelet in plain text, so its port bypasses the inbound redirect.</summary>
    private static string? InboundExcludes(IReadOnlyDictionary<string, string> annotations)
    {
        var excludes = annotations.GetValueOrDefault(KumaAnnotations.ExcludeInboundPorts);
        var probePort = annotations.GetValueOrDefault(KumaAnnotations.ApplicationProbeProxyPort);
        if (probePort is null or "0" or "") return excludes;
        return string.IsNullOrEmpty(excludes) ? probePort : $"{excludes},{probePort}";
    }

    private static string? TrimmedList(string? value) =>
        value is null ? null : string.Join(',', value.Split(',').Select(v => v.Trim()).Where(v => v.Length > 0));

    private static bool IsTrue(IReadOnlyDictionary<string, string> annotations, string key) =>
        annotations.GetValueOrDefault(key)?.Trim().ToLowerInvariant() is "true" or "enabled" or "yes";

    private static void AddIfSet(List<string> args, string flag, string? value)
    {
        if (!string.IsNullOrEmpty(value)) args.Add($"--{flag}={value}");
    }
}
