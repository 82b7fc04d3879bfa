using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Validation;

namespace Kuma.Policies;

/// <summary>
/// Kuma's percentages are "int or string" values: a whole number, or a decimal written as a string ("50.5").
/// They are kept as the JSON the user sent, so they read back unchanged.
/// </summary>
public static class Percentages
{
    public const string NotIntOrString = "must be an integer or a string";

    /// <summary>The value as a decimal, or null after reporting why it is none.</summary>
    public static decimal? Read(JsonNode node, FieldPath path, ValidationErrors errors)
    {
        switch (node.GetValueKind())
        {
            case JsonValueKind.Number:
                // A number must be a 32-bit integer, as Kubernetes' IntOrString reads it.
                if (JsonIntegers.TryRead(node.ToJsonString(), out var integer) == JsonIntegers.Reading.Integer && FitsInt(integer))
                    return (decimal)integer;
                errors.Add(path, NotIntOrString);
                return null;
            case JsonValueKind.String:
                const NumberStyles style = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;
                if (decimal.TryParse(node.GetValue<string>(), style, CultureInfo.InvariantCulture, out var parsed)) return parsed;
                errors.Add(path, "string must be a valid number");
                return null;
            default:
                errors.Add(path, NotIntOrString);
                return null;
        }
    }

    /// <summary>An unset percentage counts as 0, as it does in Kuma.</summary>
    public static void CheckRange(JsonNode? node, FieldPath path, ValidationErrors errors)
    {
        if (node is null) return;
        if (Read(node, path, errors) is { } value && (value < 0 || value > 100))
            errors.Add(path, "must be in inclusive range [0.0, 100.0]");
    }

    /// <summary>Only the kind of value, for percentages Kuma does not range-check (a mirror's share of traffic).</summary>
    public static void CheckKind(JsonNode? node, FieldPath path, ValidationErrors errors)
    {
        if (node is not null && node.GetValueKind() != JsonValueKind.String) Read(node, path, errors);
    }

    private static bool FitsInt(BigInteger value) => value >= int.MinValue && value <= int.MaxValue;
}
