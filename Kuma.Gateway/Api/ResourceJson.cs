using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Kuma.Resources;
using Kuma.Validation;

namespace Kuma.Gateway.Api;

/// <summary>A request body that passed every check, ready to be written.</summary>
public sealed record ParsedResource(string SpecJson, ImmutableSortedDictionary<string, string> Labels);

/// <summary>
/// Kuma's resource JSON. Proto-style types (Mesh, Dataplane, Secret) carry their fields next to the
/// metadata; targetRef policies nest them under <c>spec</c>.
/// </summary>
public static partial class ResourceJson
{
    /// <summary>Fields a client may send back from a GET that are the server's to set.</summary>
    private static readonly string[] ServerFields = ["creationTime", "modificationTime", "kri", "status", "snis", "warnings"];

    /// <summary>Labels Kuma computes for resources inside a mesh, set when the body does not set them.</summary>
    private static IEnumerable<KeyValuePair<string, string>> ComputedLabels(string mesh) =>
    [
        new("kuma.io/mesh", mesh), new("kuma.io/origin", "zone"), new("kuma.io/zone", "default"), new("kuma.io/env", "universal"),
    ];

    /// <summary>Checks a body against its URL and its type; collects every error before answering.</summary>
    public static ParsedResource Parse(JsonObject body, ResourceDescriptor descriptor, string? mesh, string name)
    {
        var errors = new ValidationErrors();
        if (descriptor.CheckName(name) is { } nameProblem) errors.Add("name", nameProblem);
        var spec = new JsonObject();
        JsonNode? policySpec = null;
        var labels = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);

        foreach (var (key, value) in body.ToList())
        {
            switch (key)
            {
                case "type":
                    if (value?.GetValueKind() != JsonValueKind.String || value.GetValue<string>() != descriptor.Name)
                        errors.Add("type", "type from the URL has to be the same as in body");
                    break;
                case "name":
                    if (value?.GetValueKind() != JsonValueKind.String || value.GetValue<string>() != name)
                        errors.Add("name", "name from the URL has to be the same as in body");
                    break;
                case "mesh" when descriptor.Scope == ResourceScope.Mesh:
                    if (value?.GetValueKind() != JsonValueKind.String || value.GetValue<string>() != mesh)
                        errors.Add("mesh", "mesh from the URL has to be the same as in body");
                    break;
                case "labels":
                    ReadLabels(value, labels, errors);
                    break;
                case "spec" when descriptor.IsPolicy:
                    policySpec = value;
                    break;
                case var _ when ServerFields.Contains(key):
                    break;
                default:
                    if (descriptor.IsPolicy) errors.Add(key, "unknown field");
                    else
                    {
                        body.Remove(key);
                        spec[key] = value;
                    }
                    break;
            }
        }

        string? specJson;
        if (descriptor.IsPolicy)
        {
            if (policySpec is null) errors.Add("spec", "must be defined");
            specJson = policySpec is null ? null : descriptor.BindAndValidate(policySpec, FieldPath.Root.Field("spec"), errors);
        }
        else
        {
            specJson = descriptor.BindAndValidate(spec, FieldPath.Root, errors);
        }

        if (descriptor.Scope == ResourceScope.Mesh && mesh is not null)
        {
            foreach (var (key, value) in ComputedLabels(mesh)) labels.TryAdd(key, value);
        }
        if (!errors.IsEmpty) throw ApiException.Invalid(errors.ToImmutable());
        return new ParsedResource(specJson!, labels.ToImmutable());
    }

    [GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\\z")]
    private static partial Regex LabelValue();

    [GeneratedRegex("^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?\\z")]
    private static partial Regex LabelKey();

    private static void ReadLabels(JsonNode? node, ImmutableSortedDictionary<string, string>.Builder labels, ValidationErrors errors)
    {
        if (node is null) return;
        if (node is not JsonObject map)
        {
            errors.Add("labels", "must be an object");
            return;
        }
        var path = FieldPath.Root.Field("labels");
        foreach (var (key, value) in map)
        {
            if (value?.GetValueKind() != JsonValueKind.String)
            {
                errors.Add(path.Key(key), "must be a string");
                continue;
            }
            var text = value.GetValue<string>();
            if (key.Length > 317 || !LabelKey().IsMatch(key))
                errors.Add(path.Key(key), "label key must be a qualified name: an optional DNS subdomain prefix and '/', then at most 63 alphanumerics, '-', '_' or '.'");
            else if (text.Length > 63 || !LabelValue().IsMatch(text))
                errors.Add(path.Key(key), "label value must be at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric");
            else labels[key] = text;
        }
    }

    public static void Write(Utf8JsonWriter writer, StoredResource resource, ResourceDescriptor descriptor)
    {
        writer.WriteStartObject();
        writer.WriteString("type", descriptor.Name);
        if (descriptor.Scope == ResourceScope.Mesh) writer.WriteString("mesh", resource.Key.Mesh);
        writer.WriteString("name", resource.Key.Name);
        writer.WriteString("creationTime", FormatTime(resource.CreationTime));
        writer.WriteString("modificationTime", FormatTime(resource.ModificationTime));
        if (resource.Labels.Count > 0)
        {
            writer.WriteStartObject("labels");
            foreach (var (key, value) in resource.Labels) writer.WriteString(key, value);
            writer.WriteEndObject();
        }
        if (Kri.Of(resource, descriptor) is { } kri) writer.WriteString("kri", kri);
        using var spec = JsonDocument.Parse(resource.SpecJson);
        if (descriptor.IsPolicy)
        {
            writer.WritePropertyName("spec");
            spec.RootElement.WriteTo(writer);
        }
        else
        {
            foreach (var property in spec.RootElement.EnumerateObject()) property.WriteTo(writer);
        }
        writer.WriteEndObject();
    }

    /// <summary>RFC 3339 in UTC with only the fractional digits needed, as Go prints times.</summary>
    public static string FormatTime(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        var fraction = (utc.Ticks % TimeSpan.TicksPerSecond).ToString("D7", CultureInfo.InvariantCulture).TrimEnd('0');
        return utc.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + (fraction.Length > 0 ? "." + fraction : "") + "Z";
    }
}
