using System.Globalization;

namespace Kuma.Policies.MeshRetry;

/// <summary>The HTTP status codes Kuma accepts as retryOn items: those with a registered reason phrase.</summary>
internal static class HttpStatusCodes
{
    private static readonly HashSet<int> Known =
    [
        100, 101, 102, 103,
        200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
        300, 301, 302, 303, 304, 305, 307, 308,
        400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418,
        421, 422, 423, 424, 425, 426, 428, 429, 431, 451,
        500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
    ];

    public static bool IsKnown(string value) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var code) && Known.Contains(code);

    /// <summary>
    /// How the plugin reads a retryOn item: digits only (no sign, unlike validation, as Kuma) naming a known code.
    /// </summary>
    public static bool TryParseKnown(string value, out uint code) =>
        uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out code) && code <= int.MaxValue && Known.Contains((int)code);
}
