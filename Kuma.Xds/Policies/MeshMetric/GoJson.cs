using System.Globalization;
using System.Text;

namespace Kuma.Policies.MeshMetric;

/// <summary>
/// JSON text as Go's <c>encoding/json</c> writes it, byte for byte: kuma-dp compares the config's hash (its ETag)
/// and Kuma's goldens show Go's output, so strings escape HTML characters the way Go does and durations read as
/// Go prints them.
/// </summary>
internal sealed class GoJson
{
    private readonly StringBuilder _text = new();

    public override string ToString() => _text.ToString();

    public GoJson Raw(string text)
    {
        _text.Append(text);
        return this;
    }

    public GoJson Key(string name) => String(name).Raw(":");

    public GoJson Number(long value) => Raw(value.ToString(CultureInfo.InvariantCulture));

    public GoJson Bool(bool value) => Raw(value ? "true" : "false");

    public GoJson String(string? value)
    {
        if (value is null) return Raw("null");
        _text.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': _text.Append("\\\""); break;
                case '\\': _text.Append("\\\\"); break;
                case '\n': _text.Append("\\n"); break;
                case '\r': _text.Append("\\r"); break;
                case '\t': _text.Append("\\t"); break;
                case '\b': _text.Append("\\b"); break;
                case '\f': _text.Append("\\f"); break;
                case '<' or '>' or '&' or '\u2028' or '\u2029' or < ' ':
                    _text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default: _text.Append(c); break;
            }
        }
        _text.Append('"');
        return this;
    }

    /// <summary>A list of items written by <paramref name="item"/>, comma separated; Go writes a nil list as null.</summary>
    public GoJson List<T>(IReadOnlyList<T>? items, Action<GoJson, T> item)
    {
        if (items is null) return Raw("null");
        _text.Append('[');
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0) _text.Append(',');
            item(this, items[i]);
        }
        _text.Append(']');
        return this;
    }

    /// <summary>A string map; Go sorts its keys by bytes.</summary>
    public GoJson Map(IEnumerable<KeyValuePair<string, string>> entries)
    {
        _text.Append('{');
        var first = true;
        foreach (var (key, value) in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!first) _text.Append(',');
            first = false;
            Key(key).String(value);
        }
        _text.Append('}');
        return this;
    }

    /// <summary>A duration as Go's <c>time.Duration.String</c> prints it: <c>10s</c>, <c>1m0s</c>, <c>1h0m0s</c>, <c>1.5s</c>, <c>500ms</c>.</summary>
    public static string Duration(TimeSpan value)
    {
        var nanos = (ulong)Math.Abs(value.Ticks) * 100;
        var sign = value.Ticks < 0 ? "-" : "";
        if (nanos == 0) return "0s";
        if (nanos < 1_000) return $"{sign}{nanos}ns";
        if (nanos < 1_000_000) return sign + Fraction(nanos, 1_000) + "µs";
        if (nanos < 1_000_000_000) return sign + Fraction(nanos, 1_000_000) + "ms";
        var seconds = nanos / 1_000_000_000;
        var text = Fraction(seconds % 60 * 1_000_000_000 + nanos % 1_000_000_000, 1_000_000_000) + "s";
        var minutes = seconds / 60;
        if (minutes > 0)
        {
            text = $"{minutes % 60}m{text}";
            if (minutes / 60 > 0) text = $"{minutes / 60}h{text}";
        }
        return sign + text;
    }

    private static string Fraction(ulong value, ulong unit)
    {
        var whole = (value / unit).ToString(CultureInfo.InvariantCulture);
        var rest = value % unit;
        if (rest == 0) return whole;
        var digits = unit.ToString(CultureInfo.InvariantCulture).Length - 1;
        return whole + "." + rest.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0').TrimEnd('0');
    }
}
