using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Validation;

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
        var node = LooksLikeYaml(request.ContentType, text) ? ParseYaml(text) : ParseJson(text);
        StorableText.RequireIn(node);
        return node as JsonObject ?? throw ApiException.BadRequest("request body must be an object");
    }

    private static JsonNode? ParseYaml(string text)
    {
        try
        {
            return YamlToJson.Convert(text);
        }
        catch (YamlTreeException e)
        {
            throw ApiException.BadRequest(e.Message);
        }
    }

    private static async Task<byte[]> ReadCapped(Stream body, long limit, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await ReadSome(body, chunk, ct)) > 0)
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

    /// <summary>
    /// A body the client cut off is the client's fault: answer 400, not 500. Kestrel reports broken framing
    /// itself as <see cref="BadHttpRequestException"/>, which the dispatcher answers with its own status.
    /// </summary>
    private static async ValueTask<int> ReadSome(Stream body, byte[] chunk, CancellationToken ct)
    {
        try
        {
            return await body.ReadAsync(chunk, ct);
        }
        catch (IOException e) when (!ct.IsCancellationRequested)
        {
            throw ApiException.BadRequest($"request body could not be read: {e.Message}");
        }
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
        catch (InvalidOperationException e)
        {
            // The duplicate-name check reads every field name, and one escaping an unpaired surrogate cannot be read.
            throw ApiException.BadRequest($"could not parse the body as JSON: a field name {StorableText.UnpairedSurrogate}: {e.Message}");
        }
    }
}
