using System.Buffers;
using System.Text.Json;

namespace Kuma.Gateway.Api;

internal static class JsonResponse
{
    private static readonly JsonWriterOptions Options = new() { Indented = false };

    public static async Task WriteAsync(HttpContext context, int status, Action<Utf8JsonWriter> write, string? etag = null)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, Options)) write(writer);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (etag is not null) context.Response.Headers.ETag = etag;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }

    /// <summary>Kuma answers successful writes with an empty object.</summary>
    public static Task EmptyAsync(HttpContext context, int status, string? etag = null) =>
        WriteAsync(context, status, w =>
        {
            w.WriteStartObject();
            w.WriteEndObject();
        }, etag);

    public static string ETag(long version) => $"\"{version}\"";
}
