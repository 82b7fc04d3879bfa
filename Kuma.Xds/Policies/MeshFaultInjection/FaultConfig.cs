using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Common.Fault.V3;
using Envoy.Extensions.Filters.Http.Fault.V3;
using Envoy.Type.Matcher.V3;
using Envoy.Type.V3;
using Kuma.Policies.Rules;
using Kuma.Validation;

namespace Kuma.Policies.MeshFaultInjection;

/// <summary>One entry of a MeshFaultInjection conf's <c>http</c> list as Envoy's fault filter config.</summary>
internal static partial class FaultConfig
{
    [GeneratedRegex(@"^([0-9]*)[\t\n\f\r ]?([GMk]?bps)\z")]
    private static partial Regex Bandwidth();

    public static HTTPFault Build(FaultInjection fault)
    {
        var config = new HTTPFault();
        if (fault.Delay is { } delay)
        {
            config.Delay = new FaultDelay
            {
                FixedDelay = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(Durations.TryParse(delay.Value, out var value) ? value : TimeSpan.Zero),
                Percentage = Percent(delay.Percentage),
            };
        }
        if (fault.Abort is { } abort)
        {
            config.Abort = new FaultAbort { HttpStatus = (uint)(abort.HttpStatus ?? 0), Percentage = Percent(abort.Percentage) };
        }
        if (fault.ResponseBandwidth is { } bandwidth)
        {
            config.ResponseRateLimit = new FaultRateLimit
            {
                FixedLimit = new FaultRateLimit.Types.FixedLimit { LimitKbps = Kbps(bandwidth.Limit) },
                Percentage = Percent(bandwidth.Percentage),
            };
        }
        return config;
    }

    /// <summary>Kuma's choice of denominator: the smallest of hundred, ten thousand, million that keeps the value whole (as a double).</summary>
    public static FractionalPercent Percent(JsonNode? percentage)
    {
        var value = percentage?.GetValueKind() switch
        {
            JsonValueKind.Number => percentage.GetValue<double>(),
            JsonValueKind.String => double.TryParse(percentage.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0,
            _ => 0,
        };
        if (Math.Floor(value) == value) return new FractionalPercent { Numerator = (uint)value, Denominator = FractionalPercent.Types.DenominatorType.Hundred };
        var hundredths = 100 * value;
        if (Math.Floor(hundredths) == hundredths)
            return new FractionalPercent { Numerator = (uint)hundredths, Denominator = FractionalPercent.Types.DenominatorType.TenThousand };
        return new FractionalPercent { Numerator = (uint)Math.Round(10_000 * value, MidpointRounding.AwayFromZero), Denominator = FractionalPercent.Types.DenominatorType.Million };
    }

    private static ulong Kbps(string? limit)
    {
        if (limit is null || Bandwidth().Match(limit) is not { Success: true } match) return 0;
        var amount = ulong.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
        return match.Groups[2].Value switch
        {
            "Gbps" => amount * 1_000_000,
            "Mbps" => amount * 1_000,
            _ => amount,
        };
    }
}

/// <summary>
/// Header matches on <c>x-kuma-tags</c> (the caller's tags, <c>&amp;key=value&amp;...</c>, added by its outbound route)
/// that select the callers of a subset: one regex over its positive tags, one inverted over its negated tags.
/// </summary>
internal static class CallerHeaders
{
    public const string TagsHeader = "x-kuma-tags";

    public static IEnumerable<HeaderMatcher> For(ImmutableArray<SubsetTag> subset)
    {
        // One value per key on each side, the last one listed winning, as in Kuma.
        var positive = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var negated = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in subset) (tag.Not ? negated : positive)[tag.Key] = tag.Value;
        if (positive.Count > 0) yield return Matcher(positive, invert: false);
        if (negated.Count > 0) yield return Matcher(negated, invert: true);
    }

    private static HeaderMatcher Matcher(SortedDictionary<string, string> tags, bool invert) => new()
    {
        Name = TagsHeader,
        StringMatch = new StringMatcher { SafeRegex = new RegexMatcher { Regex = Regex(tags) } },
        InvertMatch = invert,
    };

    /// <summary>Kuma's tag regex: keys in order, each value anywhere in a comma-separated list; <c>*</c> means any value.</summary>
    public static string Regex(IEnumerable<KeyValuePair<string, string>> tags)
    {
        var regex = new System.Text.StringBuilder(".*");
        foreach (var (key, value) in tags)
        {
            var valuePattern = value == "*" ? "" : $"[^&]*{value}[,&]";
            regex.Append('&').Append(key).Append('=').Append(valuePattern.Replace(".", "\\.", StringComparison.Ordinal)).Append(".*");
        }
        return regex.ToString();
    }
}
