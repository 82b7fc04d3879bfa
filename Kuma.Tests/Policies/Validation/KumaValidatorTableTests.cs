using System.Text.Json.Nodes;
using Kuma.Gateway.Api;
using Kuma.Policies;
using Kuma.Resources;
using Kuma.Validation;

namespace Kuma.Tests.Policies.Validation;

/// <summary>
/// Runs Kuma's own validator test tables (ported as data into <c>&lt;Type&gt;/cases.yaml</c>) through our
/// binder and validators. Each case is either valid or lists every violation Kuma reports. The whole list
/// is compared: in Kuma's order where our validator follows it, as a set for the types whose Kuma tests
/// compare sets (MeshHTTPRoute, MeshFaultInjection).
/// </summary>
public sealed class KumaValidatorTableTests
{
    private static readonly string[] Types =
        ["MeshTimeout", "MeshRetry", "MeshCircuitBreaker", "MeshTrafficPermission", "Dataplane", "Mesh", "MeshHTTPRoute", "MeshFaultInjection", "MeshRateLimit", "MeshHealthCheck", "MeshMetric", "MeshPassthrough", "MeshAccessLog", "MeshTCPRoute", "MeshLoadBalancingStrategy", "MeshProxyPatch", "MeshTrace", "MeshTLS"];

    private static readonly HashSet<string> ComparedAsSets = ["MeshHTTPRoute", "MeshFaultInjection"];

    /// <summary>Kuma's tests read these into the spec and drop them; our API reads them as metadata.</summary>
    private static readonly string[] MetadataKeys = ["type", "name", "mesh"];

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var type in Types)
        {
            foreach (var @case in Load(type)) data.Add(type, @case.Name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Answers_as_Kuma_does(string type, string caseName)
    {
        var @case = Load(type).Single(c => c.Name == caseName);
        var descriptor = PolicyTypes.Catalog.FindByName(type)!;

        var actual = Validate(descriptor, @case.Input);

        var (expected, got) = ComparedAsSets.Contains(type) ? (Sorted(@case.Expected), Sorted(actual)) : (@case.Expected, actual);
        Assert.True(expected.SequenceEqual(got), $"expected:\n{Describe(@case.Expected)}\nactual:\n{Describe(actual)}");
    }

    [Fact]
    public void Every_type_has_valid_and_invalid_cases()
    {
        foreach (var type in Types)
        {
            Assert.Contains(Load(type), c => c.Expected.Count == 0);
            Assert.Contains(Load(type), c => c.Expected.Count > 0);
        }
    }

    private static List<FieldError> Sorted(IEnumerable<FieldError> errors) =>
        [.. errors.OrderBy(e => e.Field, StringComparer.Ordinal).ThenBy(e => e.Reason, StringComparer.Ordinal)];

    private static List<FieldError> Validate(ResourceDescriptor descriptor, string yaml)
    {
        var node = YamlToJson.Convert(yaml);
        var errors = new ValidationErrors();
        if (descriptor.IsPolicy)
        {
            descriptor.BindAndValidate(node, FieldPath.Root.Field("spec"), errors);
        }
        else
        {
            if (node is JsonObject body)
            {
                foreach (var key in MetadataKeys) body.Remove(key);
            }
            descriptor.BindAndValidate(node, FieldPath.Root, errors);
        }
        return [.. errors.ToImmutable()];
    }

    private static string Describe(IEnumerable<FieldError> errors)
    {
        var lines = errors.Select(e => $"  - {e.Field}: {e.Reason}").ToList();
        return lines.Count == 0 ? "  (valid)" : string.Join('\n', lines);
    }

    private sealed record Case(string Name, string Input, IReadOnlyList<FieldError> Expected);

    private static readonly Dictionary<string, IReadOnlyList<Case>> Loaded = [];

    private static IReadOnlyList<Case> Load(string type)
    {
        lock (Loaded)
        {
            if (Loaded.TryGetValue(type, out var cached)) return cached;
            var file = Path.Combine(AppContext.BaseDirectory, "Policies", "Validation", type, "cases.yaml");
            var table = YamlToJson.Convert(File.ReadAllText(file))!.AsArray();
            var cases = table.Select(entry => ReadCase(entry!.AsObject())).ToList();
            var duplicate = cases.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null) throw new InvalidOperationException($"{type}: case name '{duplicate.Key}' is used twice");
            Loaded[type] = cases;
            return cases;
        }
    }

    private static Case ReadCase(JsonObject entry)
    {
        var name = entry["name"]!.GetValue<string>();
        var input = entry["input"]!.GetValue<string>();
        var valid = entry["valid"]?.GetValue<bool>() ?? false;
        var violations = entry["violations"]?.AsArray()
            .Select(v => new FieldError(v!["field"]!.GetValue<string>(), v["message"]!.GetValue<string>()))
            .ToList() ?? [];
        if (valid == violations.Count > 0) throw new InvalidOperationException($"case '{name}' must be either valid or list violations");
        return new Case(name, input, violations);
    }
}
