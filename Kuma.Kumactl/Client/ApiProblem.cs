using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kuma.Kumactl.Client;

/// <summary>An error answer of the API (Kuma's shape: title, detail, and the invalid fields with their reasons) as readable text.</summary>
public static class ApiProblem
{
    public static string Describe(HttpStatusCode status, string body)
    {
        JsonObject? problem = null;
        try
        {
            problem = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
        }
        if (problem is null)
        {
            var text = body.Trim();
            return $"the control plane answered {(int)status} {status}{(text.Length > 0 ? ": " + text : "")}";
        }
        var sb = new StringBuilder();
        var detail = Text(problem, "detail") ?? Text(problem, "details") ?? Text(problem, "title") ?? $"{(int)status} {status}";
        var title = Text(problem, "title");
        // "Not found" alone says little; the title says what was being done.
        sb.Append(title is not null && title != detail && detail.Length < 20 ? $"{title}: {detail}" : detail);
        foreach (var (field, reason) in Fields(problem)) sb.Append("\n* ").Append(field.Length > 0 ? $"{field}: {reason}" : reason);
        return sb.ToString();
    }

    /// <summary>Kuma's newer <c>invalid_parameters</c> list, or its older <c>causes</c>.</summary>
    private static IEnumerable<(string Field, string Reason)> Fields(JsonObject problem)
    {
        if (problem["invalid_parameters"] is JsonArray parameters && parameters.Count > 0)
            return parameters.OfType<JsonObject>().Select(p => (Text(p, "field") ?? "", Text(p, "reason") ?? ""));
        if (problem["causes"] is JsonArray causes)
            return causes.OfType<JsonObject>().Select(p => (Text(p, "field") ?? "", Text(p, "message") ?? ""));
        return [];
    }

    private static string? Text(JsonObject node, string field) =>
        node[field] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
