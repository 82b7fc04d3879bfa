using System.Globalization;

namespace Kuma.ClusterAgent.Pods;

/// <summary>Reads annotation values the way Kuma does: booleans accept enabled/disabled, lists are comma separated.</summary>
internal sealed class AnnotationValues(IDictionary<string, string>? annotations)
{
    private readonly IDictionary<string, string> _values = annotations ?? new Dictionary<string, string>();

    public string? String(string key) => _values.TryGetValue(key, out var value) ? value : null;

    /// <summary>Null when absent; a value Kuma would refuse is a <see cref="PodConversionException"/>.</summary>
    public bool? Enabled(string key) => String(key) is not { } value
        ? null
        : KumaAnnotations.ParseEnabled(value) ?? throw new PodConversionException($"annotation \"{key}\" has wrong value \"{value}\"");

    public uint? UInt32(string key)
    {
        var value = String(key);
        if (value is null) return null;
        return uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new PodConversionException($"failed to parse annotation \"{key}\": \"{value}\" is not a port number");
    }

    /// <summary>Null when absent or empty, as Kuma leaves an empty list out.</summary>
    public List<string>? List(string key) =>
        String(key)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } items ? [.. items] : null;
}

/// <summary>A Pod Kuma's converter would refuse (bad annotation values): no Dataplane is written for it.</summary>
internal sealed class PodConversionException(string message) : Exception(message);
