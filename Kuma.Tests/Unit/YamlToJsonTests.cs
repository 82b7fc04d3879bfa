using System.Text.Json.Nodes;
using Kuma.Validation;

namespace Kuma.Tests.Unit;

public sealed class YamlToJsonTests
{
    [Fact]
    public void Plain_scalars_get_types_and_quoted_ones_stay_strings()
    {
        var node = YamlToJson.Convert("""
            port: 8080
            ratio: 1.5
            on: true
            nothing: ~
            quoted: "8080"
            version: '1.0'
            name: web
            list: [1, "two"]
            """)!;
        var expected = JsonNode.Parse("""{"port":8080,"ratio":1.5,"on":true,"nothing":null,"quoted":"8080","version":"1.0","name":"web","list":[1,"two"]}""");
        Assert.True(JsonNode.DeepEquals(expected, node), node.ToJsonString());
    }

    [Fact]
    public void Alias_bombs_are_cut_short()
    {
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + string.Join('\n', Enumerable.Range(1, 8).Select(i =>
            $"{(char)('a' + i)}: &{(char)('a' + i)} [*{(char)('a' + i - 1)}, *{(char)('a' + i - 1)}, *{(char)('a' + i - 1)}, *{(char)('a' + i - 1)}, *{(char)('a' + i - 1)}, *{(char)('a' + i - 1)}, *{(char)('a' + i - 1)}, *{(char)('a' + i - 1)}, *{(char)('a' + i - 1)}, *{(char)('a' + i - 1)}]"));
        var error = Assert.Throws<YamlTreeException>(() => YamlToJson.Convert(bomb));
        Assert.Equal("YAML body expands to more than 100000 nodes", error.Message);
    }

    [Fact]
    public void Duplicate_keys_are_refused() =>
        Assert.Equal("duplicate key 'a' in YAML body", Assert.Throws<YamlTreeException>(() => YamlToJson.Convert("a: 1\na: 2\n")).Message);
}

public sealed class YamlNestingLimitTests
{
    public static TheoryData<string, string> DeepBodies() => new()
    {
        { "flow sequences", new string('[', 40_000) + new string(']', 40_000) },
        { "flow mappings", string.Concat(Enumerable.Repeat("{a: ", 40_000)) + "x" + new string('}', 40_000) },
        { "block sequences", string.Concat(Enumerable.Repeat("- ", 40_000)) + "x\n" },
    };

    /// <summary>Each body overflowed the stack of the whole process (uncatchable) before the parser was event-driven.</summary>
    [Theory]
    [MemberData(nameof(DeepBodies))]
    public void Deep_nesting_is_refused_while_parsing(string shape, string body)
    {
        var error = Assert.Throws<YamlTreeException>(() => YamlToJson.Convert(body));
        Assert.Equal("YAML body is nested deeper than 64 levels", error.Message);
        Assert.NotEmpty(shape);
    }

    [Fact]
    public void Nesting_up_to_the_limit_is_accepted()
    {
        var body = new string('[', YamlToJson.MaxDepth) + new string(']', YamlToJson.MaxDepth);
        var node = YamlToJson.Convert(body);
        var depth = 0;
        for (var n = node; n is JsonArray { Count: > 0 } a; n = a[0]) depth++;
        Assert.Equal(YamlToJson.MaxDepth - 1, depth);
    }

    [Theory]
    [InlineData("*x: 1\n")]
    [InlineData("? [a]\n: 1\n")]
    [InlineData("a: *missing\n")]
    [InlineData("a: 1\n---\nb: 2\n")]
    [InlineData("name: \"\\udc00\\ud800\"\n")] // escapes of lone surrogates: the scanner's own conversion throws
    [InlineData("name: \"\\U0011ffff\"\n")]
    public void Odd_keys_aliases_and_documents_are_refused(string body) =>
        Assert.NotEmpty(Assert.Throws<YamlTreeException>(() => YamlToJson.Convert(body)).Message);

    [Fact]
    public void Anchors_and_aliases_still_expand()
    {
        var node = YamlToJson.Convert("base: &b {port: 80}\ncopy: *b\n")!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"base":{"port":80},"copy":{"port":80}}"""), node), node.ToJsonString());
    }
}
