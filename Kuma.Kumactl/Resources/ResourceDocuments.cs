using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Kuma.Validation;

namespace Kuma.Kumactl.Resources;

/// <summary>One resource read from a file, checked with the control plane's own validators.</summary>
public sealed record ResourceDocument(KumactlType Type, string Mesh, string Name, JsonObject Body)
{
    public string Describe() => $"resource type=\"{Type.Name}\" mesh=\"{(Type.MeshScoped ? Mesh : "")}\" name=\"{Name}\"";
}

/// <summary>Splitting a stream into documents, <c>--var</c> substitution, and the checks made before anything is sent.</summary>
public static partial class ResourceDocuments
{
    /// <summary>Fields the control plane sets, which a file copied from <c>get -o yaml</c> carries back.</summary>
    private static readonly HashSet<string> MetaFields = ["type", "name", "mesh", "labels", "creationTime", "modificationTime", "kri", "status", "warnings"];

    [GeneratedRegex(@"(?:^|\s*\n)---\s*")]
    private static partial Regex Separator();

    [GeneratedRegex(@"^#.*$")]
    private static partial Regex SoleComment();

    /// <summary>Documents separated by <c>---</c> lines; empty ones and ones that are a single comment line are dropped, as kumactl drops them.</summary>
    public static List<string> Split(string text) =>
        [.. Separator().Split(text.Trim()).Select(d => SoleComment().Replace(d, "")).Where(d => d.Length > 0).Select(d => d.Trim())];

    [GeneratedRegex(@"\{\{\s*([^{}\s]+)\s*\}\}")]
    private static partial Regex Placeholder();

    /// <summary>Replaces each <c>{{ key }}</c> (dots allowed in keys) with its value; an unset key becomes empty, as in kumactl's templates.</summary>
    public static string Render(string document, IReadOnlyDictionary<string, string> values) =>
        Placeholder().Replace(document, m => values.TryGetValue(m.Groups[1].Value, out var value) ? value : "");

    /// <summary>The resource in one document, or the reasons it is not one; nothing is sent to the control plane here.</summary>
    public static ResourceDocument? Parse(string document, List<string> problems)
    {
        JsonNode? tree;
        try
        {
            tree = YamlToJson.Convert(document);
        }
        catch (YamlTreeException e)
        {
            problems.Add($"failed to parse resource: {e.Message}");
            return null;
        }
        if (tree is not JsonObject body)
        {
            problems.Add("failed to parse resource: a resource must be a YAML or JSON object with type, name and its fields");
            return null;
        }
        var typeName = StringField(body, "type");
        if (string.IsNullOrEmpty(typeName))
        {
            problems.Add("failed to parse resource: type: cannot be empty");
            return null;
        }
        if (KumactlTypes.ByName(typeName) is not { } type)
        {
            problems.Add($"failed to parse resource: invalid resource type \"{typeName}\"");
            return null;
        }
        var name = StringField(body, "name") ?? "";
        var mesh = StringField(body, "mesh") ?? "";
        var errors = new ValidationErrors();
        if (name.Length == 0) errors.Add("name", "cannot be empty");
        else if (type.Descriptor.CheckName(name) is { } nameProblem) errors.Add("name", nameProblem);
        if (type.MeshScoped && mesh.Length == 0) errors.Add("mesh", "cannot be empty");
        if (!type.MeshScoped && body.ContainsKey("mesh") && !type.IsMesh) errors.Add("mesh", $"must be empty: {type.Name} is not inside a mesh");
        foreach (var key in new[] { "type", "name", "mesh" })
        {
            if (body.TryGetPropertyValue(key, out var value) && value is not null && value.GetValueKind() != JsonValueKind.String) errors.Add(key, "must be a string");
        }
        ValidateSpec(type, body, errors);
        if (!errors.IsEmpty)
        {
            problems.Add($"{new ResourceDocument(type, mesh, name, body).Describe()} is not valid:" +
                string.Concat(errors.ToImmutable().Select(e => $"\n  * {e.Field}: {e.Reason}")));
            return null;
        }
        return new ResourceDocument(type, mesh, name, body);
    }

    /// <summary>The same split of fields the API makes: a policy's spec under <c>spec</c>, a core type's fields beside its metadata.</summary>
    private static void ValidateSpec(KumactlType type, JsonObject body, ValidationErrors errors)
    {
        if (type.Descriptor.IsPolicy)
        {
            foreach (var key in body.Select(p => p.Key).Where(k => !MetaFields.Contains(k) && k != "spec")) errors.Add(key, "unknown field");
            if (body["spec"] is not { } spec) errors.Add("spec", "must be defined");
            else type.Descriptor.BindAndValidate(spec.DeepClone(), FieldPath.Root.Field("spec"), errors);
            return;
        }
        var fields = new JsonObject(body.Where(p => !MetaFields.Contains(p.Key)).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        type.Descriptor.BindAndValidate(fields, FieldPath.Root, errors);
    }

    private static string? StringField(JsonObject body, string field) =>
        body[field] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
