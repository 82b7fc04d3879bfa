using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Validation;

namespace Kuma.Ca;

/// <summary>
/// Kuma's DataSource: bytes from a secret of the mesh, inline (base64), an inline string, or a file. A hosted
/// control plane shares its file system with every tenant, so <c>file</c> is refused.
/// </summary>
internal sealed record DataSource(string? Secret, string? File, byte[]? Inline, string? InlineString)
{
    public const string ChooseSource = "data source has to be chosen. Available sources: secret, file, inline";
    public const string FileRefused = "file data sources are not supported by a hosted control plane: put the data in a secret of the mesh and use secret, or use inline or inlineString";

    /// <summary>Reads a DataSource object; a field of the wrong kind is reported as Kuma reports an unreadable conf.</summary>
    public static DataSource? Read(JsonNode? node, string field, List<string> conversionErrors)
    {
        if (node is null) return null;
        if (node is not JsonObject o)
        {
            conversionErrors.Add($"{field}: expected an object");
            return null;
        }
        string? secret = null, file = null, inlineString = null;
        byte[]? inline = null;
        foreach (var (key, value) in o)
        {
            if (value is null) continue;
            switch (key)
            {
                case "secret": secret = Text(value, $"{field}.secret", conversionErrors); break;
                case "file": file = Text(value, $"{field}.file", conversionErrors); break;
                case "inlineString": inlineString = Text(value, $"{field}.inlineString", conversionErrors); break;
                case "inline":
                    if (Text(value, $"{field}.inline", conversionErrors) is { } base64)
                    {
                        try
                        {
                            inline = Convert.FromBase64String(base64);
                        }
                        catch (FormatException)
                        {
                            conversionErrors.Add($"{field}.inline: not valid base64");
                        }
                    }
                    break;
                default: conversionErrors.Add($"unknown field \"{field}.{key}\""); break;
            }
        }
        var chosen = new[] { secret is not null, file is not null, inline is not null, inlineString is not null }.Count(c => c);
        if (chosen > 1) conversionErrors.Add($"{field}: only one of secret, file, inline, inlineString may be set");
        return new DataSource(secret, file, inline, inlineString);
    }

    private static string? Text(JsonNode value, string field, List<string> conversionErrors)
    {
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String) return v.GetValue<string>();
        conversionErrors.Add($"{field}: expected a string");
        return null;
    }

    /// <summary>Kuma's checks of a chosen source, then this service's refusal of files.</summary>
    public void Validate(FieldPath path, ValidationErrors errors)
    {
        if (Secret is null && File is null && Inline is null && InlineString is null)
        {
            errors.Add(path, ChooseSource);
            return;
        }
        if (Secret is { Length: 0 }) errors.Add(path.Field("secret"), "cannot be empty");
        if (Inline is { Length: 0 }) errors.Add(path.Field("inline"), "cannot be empty");
        if (File is not null) errors.Add(path.Field("file"), File.Length == 0 ? "cannot be empty" : FileRefused);
    }

    /// <summary>The bytes, or Kuma's "could not load data" reason; secrets come only from the mesh being written.</summary>
    public (byte[]? Data, string? Error) Load(string tenantMesh, Func<string, byte[]?> secretOfMesh)
    {
        if (Inline is not null) return (Inline, null);
        if (InlineString is not null) return (Encoding.UTF8.GetBytes(InlineString), null);
        if (Secret is not null)
        {
            return secretOfMesh(Secret) is { } data
                ? (data, null)
                : (null, $"could not load data: resource not found: type=\"Secret\" name=\"{Secret}\" mesh=\"{tenantMesh}\"");
        }
        return (null, "unsupported type of the DataSource");
    }
}
