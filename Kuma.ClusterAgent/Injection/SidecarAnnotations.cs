using System.Globalization;

namespace Kuma.ClusterAgent.Injection;

/// <summary>
/// The annotations Kuma's injector writes on a sidecar pod: the transparent proxy's settings as injected (the init
/// container and the pod converter both read them back), with the pod's own values kept where Kuma lets a pod override.
/// </summary>
internal static class SidecarAnnotations
{
    public static Dictionary<string, string> For(IReadOnlyDictionary<string, string> pod, InjectionOptions options)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [KumaAnnotations.SidecarInjected] = "true",
            [KumaAnnotations.TransparentProxying] = KumaAnnotations.Enabled,
            [KumaAnnotations.SidecarUid] = Text(options.SidecarUid),
            // The redirect ports are cluster-wide in Kuma too: a pod cannot move them.
            [KumaAnnotations.OutboundRedirectPort] = Text(options.RedirectPortOutbound),
            [KumaAnnotations.InboundRedirectPort] = Text(options.RedirectPortInbound),
        };

        var appProbeProxyPort = AnnotationValues.Port(pod, KumaAnnotations.ApplicationProbeProxyPort);
        var virtualProbes = AnnotationValues.Enabled(pod, KumaAnnotations.VirtualProbes);
        // A pod that switches the application probe proxy off (port 0) falls back to virtual probes, as in Kuma.
        result[KumaAnnotations.VirtualProbes] = appProbeProxyPort == 0 || (virtualProbes ?? options.VirtualProbesEnabled)
            ? KumaAnnotations.Enabled
            : KumaAnnotations.Disabled;
        result[KumaAnnotations.VirtualProbesPort] = Text(AnnotationValues.Port(pod, KumaAnnotations.VirtualProbesPort) ?? options.VirtualProbesPort);
        result[KumaAnnotations.ApplicationProbeProxyPort] = Text(appProbeProxyPort ?? options.ApplicationProbeProxyPort);

        CopyIfSet(pod, result, KumaAnnotations.ExcludeInboundPorts);
        CopyIfSet(pod, result, KumaAnnotations.ExcludeOutboundPorts);
        result[KumaAnnotations.IpFamilyMode] = pod.GetValueOrDefault(KumaAnnotations.IpFamilyMode) is { Length: > 0 } mode ? mode : options.IpFamilyMode;
        result[KumaAnnotations.EnvoyAdminPort] = Text(AnnotationValues.Port(pod, KumaAnnotations.EnvoyAdminPort) ?? options.AdminPort);
        CopyIfSet(pod, result, KumaAnnotations.ExcludeOutboundIps);
        CopyIfSet(pod, result, KumaAnnotations.ExcludeInboundIps);
        return result;
    }

    private static void CopyIfSet(IReadOnlyDictionary<string, string> pod, Dictionary<string, string> result, string key)
    {
        if (pod.GetValueOrDefault(key) is { Length: > 0 } value) result[key] = value;
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Typed reads of annotation values; a value that does not parse refuses the pod with the annotation's name.</summary>
internal static class AnnotationValues
{
    public static int? Port(IReadOnlyDictionary<string, string> annotations, string key)
    {
        if (!annotations.TryGetValue(key, out var text)) return null;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and < 65536
            ? port
            : throw new InjectionRefusedException($"annotation {key}: '{text}' is not a port number");
    }

    public static bool? Enabled(IReadOnlyDictionary<string, string> annotations, string key)
    {
        if (!annotations.TryGetValue(key, out var text)) return null;
        return KumaAnnotations.ParseEnabled(text) ?? throw new InjectionRefusedException($"annotation {key}: '{text}' is neither enabled nor disabled");
    }

    /// <summary>Go's time.Duration spelling (what kuma-dp parses): 30s, 1m30s, 1h0m0s.</summary>
    public static string GoDuration(TimeSpan value)
    {
        if (value == TimeSpan.Zero) return "0s";
        var seconds = value.TotalSeconds % 60;
        var secondsText = seconds.ToString("0.#########", CultureInfo.InvariantCulture) + "s";
        if (value.TotalMinutes < 1) return secondsText;
        var minutes = (long)value.TotalMinutes % 60;
        if (value.TotalHours < 1) return $"{minutes}m{secondsText}";
        return $"{(long)value.TotalHours}h{minutes}m{secondsText}";
    }

    /// <summary>Reads a Go duration of the forms kuma.io/sidecar-drain-time takes in practice (e.g. 10s, 1m30s, 500ms).</summary>
    public static TimeSpan ParseGoDuration(string key, string text)
    {
        var total = TimeSpan.Zero;
        var rest = text.Trim();
        if (rest.Length == 0) throw new InjectionRefusedException($"annotation {key}: empty duration");
        while (rest.Length > 0)
        {
            var digits = 0;
            while (digits < rest.Length && (char.IsAsciiDigit(rest[digits]) || rest[digits] == '.')) digits++;
            var unitEnd = digits;
            while (unitEnd < rest.Length && char.IsAsciiLetter(rest[unitEnd])) unitEnd++;
            if (digits == 0 || !double.TryParse(rest[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
                throw new InjectionRefusedException($"annotation {key}: '{text}' is not a duration");
            total += rest[digits..unitEnd] switch
            {
                "h" => TimeSpan.FromHours(amount),
                "m" => TimeSpan.FromMinutes(amount),
                "s" => TimeSpan.FromSeconds(amount),
                "ms" => TimeSpan.FromMilliseconds(amount),
                _ => throw new InjectionRefusedException($"annotation {key}: '{text}' is not a duration"),
            };
            rest = rest[unitEnd..];
        }
        return total;
    }
}
