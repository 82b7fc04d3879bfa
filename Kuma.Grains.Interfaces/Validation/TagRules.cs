using System.Text.RegularExpressions;

namespace Kuma.Validation;

/// <summary>Kuma's rules for tag maps (dataplane tags, MeshSubset tags, selectors), in Kuma's order and wording.</summary>
public static partial class TagRules
{
    public const string ServiceTag = "kuma.io/service";
    public const string ProtocolTag = "kuma.io/protocol";

    [GeneratedRegex(@"^[a-zA-Z0-9.\-_:/]*\z")]
    private static partial Regex NameCharacters();

    [GeneratedRegex(@"^[a-zA-Z0-9.\-_:]*\z")]
    private static partial Regex ValueCharacters();

    [GeneratedRegex(@"^([a-zA-Z0-9.\-_:/]*|\*)\z")]
    private static partial Regex SelectorValueCharacters();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\z")]
    private static partial Regex Rfc1123Subdomain();

    /// <summary>
    /// Checks every tag. A selector's values may also hold slashes or be <c>*</c>. <paramref name="whole"/>
    /// runs on the whole map before the tags one by one, as Kuma's extra validators do.
    /// </summary>
    public static void Check(
        IReadOnlyDictionary<string, string>? tags, FieldPath path, ValidationErrors errors, bool selector,
        bool requireAtLeastOne = false, bool requireService = false, Action<IReadOnlyDictionary<string, string>>? whole = null)
    {
        tags ??= new Dictionary<string, string>();
        if (requireAtLeastOne && tags.Count == 0) errors.Add(path, "must have at least one tag");
        whole?.Invoke(tags);
        foreach (var key in tags.Keys.Order(StringComparer.Ordinal))
        {
            if (key.Length == 0) errors.Add(path, "tag name must be non-empty");
            if (!NameCharacters().IsMatch(key))
                errors.Add(path.Key(key), "tag name must consist of alphanumeric characters, dots, dashes, slashes and underscores");
            var value = tags[key];
            if (value.Length == 0) errors.Add(path.Key(key), "tag value must be non-empty");
            if (selector && !SelectorValueCharacters().IsMatch(value))
                errors.Add(path.Key(key), "tag value must consist of alphanumeric characters, dots, dashes, slashes and underscores or be \"*\"");
            else if (!selector && !ValueCharacters().IsMatch(value))
                errors.Add(path.Key(key), "tag value must consist of alphanumeric characters, dots, dashes and underscores");
        }
        if (requireService && !tags.ContainsKey(ServiceTag)) errors.Add(path, $"mandatory tag \"{ServiceTag}\" is missing");
    }

    /// <summary>What Kubernetes says is wrong with <paramref name="value"/> as an RFC 1123 subdomain (Kuma passes it on).</summary>
    public static IEnumerable<string> Rfc1123SubdomainProblems(string value)
    {
        if (value.Length > 253) yield return "must be no more than 253 characters";
        if (!Rfc1123Subdomain().IsMatch(value))
        {
            yield return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
        }
    }
}
