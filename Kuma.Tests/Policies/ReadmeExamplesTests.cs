using System.Text.Json.Nodes;
using Kuma.Gateway.Api;
using Kuma.Policies;
using Kuma.Tests.Infrastructure;
using Kuma.Validation;

namespace Kuma.Tests.Policies;

/// <summary>The README's policy examples are valid as written, so a user copying one gets what it says.</summary>
public sealed class ReadmeExamplesTests
{
    [Fact]
    public void Every_policy_example_in_the_readme_is_valid()
    {
        var readme = File.ReadAllText(Path.Combine(NodeProcess.RepositoryRoot(), "README.md"));
        var start = readme.IndexOf("One example each", StringComparison.Ordinal);
        var block = readme[readme.IndexOf("```yaml\n", start, StringComparison.Ordinal)..];
        block = block["```yaml\n".Length..block.IndexOf("\n```", 8, StringComparison.Ordinal)];
        var documents = block.Split("\n---\n");
        Assert.True(documents.Length >= 5, "the README lists one example per core policy");
        foreach (var document in documents)
        {
            var resource = YamlToJson.Convert(document)!.AsObject();
            var type = (string)resource["type"]!;
            var descriptor = PolicyTypes.Catalog.FindByName(type) ?? throw new InvalidOperationException($"unknown type {type}");
            var errors = new ValidationErrors();
            descriptor.BindAndValidate(resource["spec"], FieldPath.Root.Field("spec"), errors);
            Assert.True(errors.IsEmpty, $"{type} {resource["name"]}: {string.Join("; ", errors.ToImmutable().Select(e => $"{e.Field}: {e.Reason}"))}");
        }
    }
}
