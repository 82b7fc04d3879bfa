namespace Kuma.Kumactl.Commands;

/// <summary>
/// Flags of the form <c>key=value</c>, read as kumactl reads them: a value with one <c>=</c> is one pair (its
/// value may hold commas, as in <c>--tag kuma.io/service=web,api</c>); one with several is a comma-separated list of pairs.
/// </summary>
public static class KeyValues
{
    public static Dictionary<string, string> Parse(IEnumerable<string>? values, string flag)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values ?? [])
        {
            var parts = value.Count(c => c == '=') switch
            {
                0 => throw new KumactlException($"{value} must be formatted as key=value (flag {flag})"),
                1 => [value.Trim('"')],
                _ => value.Split(','),
            };
            foreach (var part in parts)
            {
                var equals = part.IndexOf('=', StringComparison.Ordinal);
                if (equals < 0) throw new KumactlException($"{part} must be formatted as key=value (flag {flag})");
                pairs[part[..equals]] = part[(equals + 1)..];
            }
        }
        return pairs;
    }
}
