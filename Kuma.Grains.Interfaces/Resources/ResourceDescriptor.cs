using System.Text.Json.Nodes;
using Kuma.Validation;

namespace Kuma.Resources;

public enum ResourceScope
{
    Global,
    Mesh,
}

/// <summary>Which policy sections a policy type accepts (Kuma's targetRef model).</summary>
public sealed record PolicyShape(bool HasTo, bool HasFrom, bool HasRules);

/// <summary>
/// Everything the API and store need to know about a resource type. Adding a type means adding one
/// descriptor to <see cref="ResourceTypes"/>; nothing else switches on type names.
/// </summary>
public abstract class ResourceDescriptor
{
    public required string Name { get; init; }
    public required string Plural { get; init; }
    public required ResourceScope Scope { get; init; }
    public string? ShortName { get; init; }
    /// <summary>Set for targetRef policies: their spec sits under <c>spec</c>; other types carry it at the top level.</summary>
    public PolicyShape? Policy { get; init; }
    /// <summary>Types only the control plane itself writes (signing keys, tenants) are not listed to tenants.</summary>
    public bool SystemOnly { get; init; }
    /// <summary>Meshes and tenants become parts of grain keys, SPIFFE ids and Envoy names: their names are DNS labels.</summary>
    public bool NameIsDnsLabel { get; init; }

    /// <summary>Why <paramref name="name"/> cannot name a resource of this type, or null.</summary>
    public string? CheckName(string name) => NameIsDnsLabel ? Names.CheckDnsLabel(name) : Names.CheckResourceName(name);

    public bool IsPolicy => Policy is not null;
    public string SingularDisplayName => SplitWords(Name);
    /// <summary>Kuma's plurals: "Meshes", "Mesh TLSes", "Mesh Retries", "Mesh Proxy Patches".</summary>
    public string PluralDisplayName => Pluralize(SplitWords(Name));

    public abstract Type SpecType { get; }

    /// <summary>Binds and validates a spec; returns its canonical JSON, or null after adding every error found.</summary>
    public abstract string? BindAndValidate(JsonNode? spec, FieldPath path, ValidationErrors errors);

    private static string Pluralize(string words)
    {
        var lower = words.ToLowerInvariant();
        if (lower.EndsWith('s') || lower.EndsWith('x') || lower.EndsWith("sh", StringComparison.Ordinal) || lower.EndsWith("ch", StringComparison.Ordinal))
            return words + "es";
        if (lower.Length > 1 && lower[^1] == 'y' && !"aeiou".Contains(lower[^2], StringComparison.Ordinal)) return words[..^1] + "ies";
        return words + "s";
    }

    /// <summary>"MeshHTTPRoute" reads "Mesh HTTP Route": a word starts at a capital after a small letter, or at the last capital of an acronym.</summary>
    private static string SplitWords(string name) =>
        string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) && (!char.IsUpper(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1])))
            ? " " + c : c.ToString()));
}

public sealed class ResourceDescriptor<TSpec> : ResourceDescriptor where TSpec : class, new()
{
    public required Action<TSpec, FieldPath, ValidationErrors> Validate { get; init; }

    /// <summary>
    /// For types whose error paths differ from body paths (Kuma's MeshRetry adds a "conf" step): the body path an
    /// error field speaks of, so errors about parts the binder cut are still recognised as noise.
    /// </summary>
    public Func<string, string>? BodyPathOf { get; init; }

    public override Type SpecType => typeof(TSpec);

    public override string? BindAndValidate(JsonNode? spec, FieldPath path, ValidationErrors errors)
    {
        var shapeErrors = new ValidationErrors();
        var tainted = new HashSet<string>(StringComparer.Ordinal);
        var typed = SpecBinder.Bind<TSpec>(spec, path, shapeErrors, tainted, yamlScalarsAsText: IsPolicy);
        var ruleErrors = new ValidationErrors();
        Validate(typed, path, ruleErrors);
        errors.AddRange(shapeErrors.ToImmutable());
        // Rules judged what was left after misfits were cut; what they say about cut parts is noise.
        errors.AddRange(ruleErrors.ToImmutable().Where(e => !SpecBinder.IsUnder(BodyPathOf?.Invoke(e.Field) ?? e.Field, tainted)));
        return shapeErrors.IsEmpty && ruleErrors.IsEmpty ? SpecBinder.ToCanonicalJson(typed) : null;
    }

    public TSpec Parse(string canonicalJson) => SpecBinder.FromCanonicalJson<TSpec>(canonicalJson);
}
