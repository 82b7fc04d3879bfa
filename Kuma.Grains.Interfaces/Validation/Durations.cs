using System.Globalization;

namespace Kuma.Validation;

/// <summary>Go-style durations ("1h30m", "500ms", "0s"), the format every Kuma policy uses.</summary>
public static class Durations
{
    public const string InvalidMessage = "must be a valid duration, e.g. 10s, 500ms, 1h30m";

    private static readonly (string Unit, double Ticks)[] Units =
    [
        ("ns", 0.01), ("us", 10), ("µs", 10), ("ms", TimeSpan.TicksPerMillisecond),
        ("s", TimeSpan.TicksPerSecond), ("m", TimeSpan.TicksPerMinute), ("h", TimeSpan.TicksPerHour),
    ];

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text)) return false;
        var s = text.AsSpan();
        var negative = s[0] == '-';
        if (s[0] is '-' or '+') s = s[1..];
        if (s is "0") return true;
        if (s.IsEmpty) return false;
        double ticks = 0;
        while (!s.IsEmpty)
        {
            var numberEnd = 0;
            while (numberEnd < s.Length && (char.IsAsciiDigit(s[numberEnd]) || s[numberEnd] == '.')) numberEnd++;
            if (numberEnd == 0 || !double.TryParse(s[..numberEnd], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                return false;
            s = s[numberEnd..];
            var unitEnd = 0;
            while (unitEnd < s.Length && !char.IsAsciiDigit(s[unitEnd]) && s[unitEnd] != '.') unitEnd++;
            var unit = s[..unitEnd].ToString();
            var match = Array.FindIndex(Units, u => u.Unit == unit);
            if (match < 0) return false;
            ticks += number * Units[match].Ticks;
            s = s[unitEnd..];
        }
        if (ticks > TimeSpan.MaxValue.Ticks) return false;
        value = TimeSpan.FromTicks((long)(negative ? -ticks : ticks));
        return true;
    }

    /// <summary>Validates an optional duration field; null means unset and is fine.</summary>
    public static void CheckOptional(string? text, FieldPath path, ValidationErrors errors, bool allowZero = true)
    {
        if (text is null) return;
        if (!TryParse(text, out var value))
        {
            errors.Add(path, InvalidMessage);
            return;
        }
        if (value < TimeSpan.Zero) errors.Add(path, "must not be negative");
        else if (!allowZero && value == TimeSpan.Zero) errors.Add(path, "must be greater than zero when defined");
    }
}
