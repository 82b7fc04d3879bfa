using System.Globalization;
using System.Text.Json.Nodes;

namespace Kuma.ClusterAgent.Sync;

/// <summary>An error the hosted API answered, in Kuma's shape: title, detail and the invalid fields.</summary>
internal sealed class ControlPlaneApiException(int status, string title, string detail, IReadOnlyList<string> causes)
    : Exception($"{status.ToString(CultureInfo.InvariantCulture)} {title}: {detail}{(causes.Count > 0 ? " (" + string.Join("; ", causes) + ")" : "")}")
{
    public int Status => status;
    public string Title => title;
    public string Detail => detail;
    /// <summary>Each invalid field as <c>field: reason</c>.</summary>
    public IReadOnlyList<string> Causes => causes;

    /// <summary>The request itself was refused (bad resource, no such mesh, no permission): retrying will not help.</summary>
    public bool IsClientError => status is >= 400 and < 500 and not 429;

    public static ControlPlaneApiException From(int status, string body)
    {
        try
        {
            if (JsonNode.Parse(body) is JsonObject error)
            {
                var causes = (error["invalid_parameters"] as JsonArray ?? [])
                    .Select(c => $"{(string?)c?["field"]}: {(string?)c?["reason"]}").ToList();
                return new ControlPlaneApiException(status, (string?)error["title"] ?? "", (string?)error["detail"] ?? (string?)error["details"] ?? "", causes);
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // not Kuma's shape: the body itself is the detail
        }
        return new ControlPlaneApiException(status, "", body.Length > 300 ? body[..300] : body, []);
    }
}
