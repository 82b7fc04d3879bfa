using System.Globalization;
using System.Numerics;

namespace Kuma.Validation;

/// <summary>
/// Reads a JSON number's text exactly, as protobuf's JSON mapping reads integer fields: <c>1.0</c>, <c>1e2</c>
/// and <c>-0</c> are the integers 1, 100 and 0; <c>1.5</c> and <c>1e-400</c> are not integers. Binary floating
/// point (and decimal, which rounds <c>1e-400</c> to 0) would answer wrongly at the edges.
/// </summary>
public static class JsonIntegers
{
    /// <summary>Integers with more digits than this overflow every integer type we bind, so they are not built.</summary>
    private const int MaxDigits = 20;

    public enum Reading
    {
        Integer,
        NotInteger,
        TooLarge,
    }

    public static Reading TryRead(string text, out BigInteger value)
    {
        value = BigInteger.Zero;
        var s = text.AsSpan();
        var negative = s.Length > 0 && s[0] == '-';
        if (negative || (s.Length > 0 && s[0] == '+')) s = s[1..];

        var exponentAt = s.IndexOfAny('e', 'E');
        var mantissa = exponentAt < 0 ? s : s[..exponentAt];
        long exponent = 0;
        if (exponentAt >= 0)
        {
            var exponentText = s[(exponentAt + 1)..];
            // An exponent too long for a long is astronomically large or small either way.
            if (!long.TryParse(exponentText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent))
                exponent = exponentText.StartsWith("-") ? long.MinValue / 2 : long.MaxValue / 2;
        }

        var dot = mantissa.IndexOf('.');
        var digits = dot < 0 ? mantissa.ToString() : string.Concat(mantissa[..dot], mantissa[(dot + 1)..]);
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit)) return Reading.NotInteger;
        if (dot >= 0) exponent -= mantissa.Length - dot - 1;

        digits = digits.TrimStart('0');
        if (digits.Length == 0) return Reading.Integer; // zero in any notation, -0 included
        var trimmed = digits.TrimEnd('0');
        exponent += digits.Length - trimmed.Length;
        if (exponent < 0) return Reading.NotInteger;
        if (trimmed.Length + exponent > MaxDigits) return Reading.TooLarge;

        value = BigInteger.Parse(trimmed, CultureInfo.InvariantCulture) * BigInteger.Pow(10, (int)exponent);
        if (negative) value = -value;
        return Reading.Integer;
    }
}
