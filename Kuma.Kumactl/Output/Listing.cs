using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kuma.Kumactl.Output;

/// <summary>The <c>-o table|yaml|json</c> choice of <c>get</c> and <c>inspect</c>, and how a list leaves in each.</summary>
public static class Listing
{
    public static Option<string> OutputOption()
    {
        var output = new Option<string>("--output", "-o")
        {
            Description = "output format: one of table|yaml|json",
            DefaultValueFactory = _ => "table",
            Recursive = true,
        };
        output.AcceptOnlyFromAmong("table", "yaml", "json");
        return output;
    }

    /// <summary>A list as Kuma's API lists it (every page in one), or a table of <paramref name="headers"/>.</summary>
    public static string Render(string format, IReadOnlyList<JsonObject> items, IReadOnlyList<string> headers, Func<JsonObject, IReadOnlyList<string>> row) => format switch
    {
        "json" => Json(new JsonObject { ["total"] = items.Count, ["items"] = new JsonArray([.. items]), ["next"] = null }),
        "yaml" => YamlText.Write(new JsonObject { ["items"] = new JsonArray([.. items]), ["next"] = null, ["total"] = items.Count }),
        _ => Table.Format(headers, items.Select(row)),
    };

    public static string Json(JsonNode node) => node.ToJsonString(Indented) + "\n";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
