using System.Text.Json.Nodes;
using Kuma.Gateway.Api;
using Kuma.Policies;
using Kuma.Validation;

namespace Kuma.Tests.Policies.Validation;

/// <summary>
/// Kuma's validator cases for MeshHTTPRoute and MeshFaultInjection, kept as data in <c>&lt;Type&gt;/cases.yaml</c>,
/// run through the type's descriptor as the API runs a PUT body's spec. Kuma compares its violations as a set,
/// so the whole list is compared regardless of order.
/// </summary>
public sealed class RouteAndFaultCaseTests
{
    private static readonly string[] Types = ["MeshHTTPRoute", "MeshFaultInjection"];

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
        var errors = new ValidationErrors();

        var canonical = descriptor.BindAndValidate(YamlToJson.Convert(@case.Input), FieldPath.Root.Field("spec"), errors);

        var actual = errors.ToImmutable();
        Assert.True(Sorted(@case.Expected).SequenceEqual(Sorted(actual)),
            $"expected:\n{Describe(@case.Expected)}\nactual:\n{Describe(actual)}");
        Assert.Equal(actual.IsEmpty, canonical is not null);
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

    private static IEnumerable<FieldError> Sorted(IEnumerable<FieldError> errors) =>
        errors.OrderBy(e => e.Field, StringComparer.Ordinal).ThenBy(e => e.Reason, StringComparer.Ordinal);

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
            var cases = YamlToJson.Convert(File.ReadAllText(file))!.AsArray().Select(entry => Read(entry!.AsObject())).ToList();
            var duplicate = cases.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null) throw new InvalidOperationException($"{type}: case '{duplicate.Key}' appears twice");
            Loaded[type] = cases;
            return cases;
        }
    }

    private static Case Read(JsonObject entry)
    {
        var name = entry["name"]!.GetValue<string>();
        var valid = entry["valid"]?.GetValue<bool>() ?? false;
        var violations = entry["violations"]?.AsArray()
            .Select(v => new FieldError(v!["field"]!.GetValue<string>(), v["message"]!.GetValue<string>()))
            .ToList() ?? [];
        if (valid == violations.Count > 0) throw new InvalidOperationException($"case '{name}' must be either valid or list violations");
        return new Case(name, entry["input"]!.GetValue<string>(), violations);
    }
}
