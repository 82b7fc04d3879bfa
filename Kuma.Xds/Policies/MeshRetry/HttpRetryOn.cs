namespace Kuma.Policies.MeshRetry;

/// <summary>
/// An http <c>retryOn</c> list split as Kuma splits it: known status codes go to retriable status codes,
/// <c>HttpMethod*</c> items become retriable <c>:method</c> headers, the rest are Envoy's retry conditions.
/// </summary>
public sealed record HttpRetryOn(string Conditions, IReadOnlyList<uint> StatusCodes, IReadOnlyList<string> Methods)
{
    public static HttpRetryOn Parse(IEnumerable<string>? items)
    {
        var conditions = new List<string>();
        var codes = new List<uint>();
        var methods = new List<string>();
        foreach (var item in items ?? [])
        {
            if (HttpStatusCodes.TryParseKnown(item, out var code)) codes.Add(code);
            else if (item.StartsWith("HttpMethod", StringComparison.Ordinal)) methods.Add(ToEnvoy(item));
            // An item Kuma cannot name (validation rejects those) still takes a place, as an empty condition.
            else conditions.Add(ToEnvoy(item));
        }
        return new HttpRetryOn(string.Join(',', conditions), codes, methods);
    }

    private static string ToEnvoy(string item) => RetryPolicies.HttpConditions.GetValueOrDefault(item, "");
}
