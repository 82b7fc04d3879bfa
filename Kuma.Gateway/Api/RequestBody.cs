using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kuma.Gateway.Api;

/// <summary>Reads a request body within the size limit and parses it as JSON or YAML into one tree.</summary>
public static class RequestBody
{
    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        if (request.ContentLength > limit) throw ApiException.TooLarge(limit);
        var bytes = await ReadCapped(request.Body, limit, ct);
        if (bytes.Length == 0) throw ApiException.BadRequest("request body is empty");
        var text = DecodeUtf8(bytes);
        var node = LooksLikeYaml(request.ContentType, text) ? YamlToJson.Convert(text) : ParseJson(text);
        return node as JsonObject ?? throw ApiException.BadRequest("request body must be an object");
    }

    private static async Task<byte[]> ReadCapped(Stream body, long limit, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > limit) throw ApiException.TooLarge(limit);
                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        return buffer.ToArray();
    }

    private static string DecodeUtf8(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw ApiException.BadRequest("request body is not valid UTF-8");
        }
    }

    private static bool LooksLikeYaml(string? contentType, string text)
    {
        if (contentType is not null && contentType.Contains("yaml", StringComparison.OrdinalIgnoreCase)) return true;
        if (contentType is not null && contentType.Contains("json", StringComparison.OrdinalIgnoreCase)) return false;
        var first = text.AsSpan().TrimStart();
        return first.Length > 0 && first[0] is not ('{' or '[');
    }

    private static JsonNode? ParseJson(string text)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 64, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"could not parse the body as JSON: {e.Message}");
        }
    }
}
