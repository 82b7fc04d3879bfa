using System.Text.Json.Nodes;
using Kuma.Gateway.Api;

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
        var error = Assert.Throws<ApiException>(() => YamlToJson.Convert(bomb));
        Assert.Equal(400, error.Status);
    }

    [Fact]
    public void Duplicate_keys_are_refused() =>
        Assert.Equal(400, Assert.Throws<ApiException>(() => YamlToJson.Convert("a: 1\na: 2\n")).Status);
}
