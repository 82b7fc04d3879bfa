using System.Buffers.Text;
using System.Text.Json.Nodes;

namespace Kuma.Tests.Tokens;

/// <summary>Reads a JWT's header and claims without checking it, as a client would to learn its id or key.</summary>
internal static class TokenClaimsReader
{
    public static string KeyId(string token) => Part(token, 0)["kid"]!.GetValue<string>();

    public static string Id(string token) => Part(token, 1)["jti"]!.GetValue<string>();

    private static JsonNode Part(string token, int index) => JsonNode.Parse(Base64Url.DecodeFromChars(token.Split('.')[index]))!;

    /// <summary>A secret's body whose data lists <paramref name="ids"/> as Kuma stores revocations: "id1,id2".</summary>
    public static string RevocationSecret(string type, string name, string? mesh, params string[] ids)
    {
        var data = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(string.Join(',', ids)));
        var meshField = mesh is null ? "" : $"\"mesh\":\"{mesh}\",";
        return $$"""{"type":"{{type}}",{{meshField}}"name":"{{name}}","data":"{{data}}"}""";
    }
}
