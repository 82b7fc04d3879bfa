using System.Collections.Immutable;
using System.Globalization;

namespace Kuma.Configuration;

/// <summary>
/// Flat view of the control plane's configuration, keyed by Kuma's environment-variable names
/// (<c>KUMA_STORE_TYPE</c>, ...). A config file's nested keys map onto the same names
/// (<c>store.postgres.host</c> → <c>KUMA_STORE_POSTGRES_HOST</c>), and the environment wins over the file.
/// </summary>
public sealed class KumaSettings
{
    private readonly ImmutableDictionary<string, string> _values;

    public KumaSettings(IEnumerable<KeyValuePair<string, string>> values) =>
        _values = values.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase);

    public static KumaSettings FromEnvironment(IReadOnlyDictionary<string, string>? fileValues = null)
    {
        var merged = new Dictionary<string, string>(fileValues ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && key.StartsWith("KUMA_", StringComparison.OrdinalIgnoreCase) && entry.Value is string value)
                merged[key] = value;
        }
        return new KumaSettings(merged);
    }

    public string? Get(string key) => _values.TryGetValue(key, out var v) && v.Length > 0 ? v : null;

    public string GetString(string key, string defaultValue) => Get(key) ?? defaultValue;

    public int GetInt(string key, int defaultValue)
    {
        var raw = Get(key);
        if (raw is null) return defaultValue;
        return int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new KumaConfigurationException($"{key} must be an integer, got '{raw}'");
    }

    public bool GetBool(string key, bool defaultValue)
    {
        var raw = Get(key);
        if (raw is null) return defaultValue;
        return bool.TryParse(raw, out var v) ? v : throw new KumaConfigurationException($"{key} must be true or false, got '{raw}'");
    }

    public TimeSpan GetDuration(string key, TimeSpan defaultValue)
    {
        var raw = Get(key);
        if (raw is null) return defaultValue;
        return Validation.Durations.TryParse(raw, out var v) ? v : throw new KumaConfigurationException($"{key} must be a duration like 10s, got '{raw}'");
    }
}

public sealed class KumaConfigurationException(string message) : Exception(message);
