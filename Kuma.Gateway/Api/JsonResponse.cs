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

    /// <summary>Kuma's list shape: <c>total</c>, <c>items</c> and the <c>next</c> page's link (null on the last page).</summary>
    public static Task WriteListAsync<T>(HttpContext context, long total, IEnumerable<T> items, Action<Utf8JsonWriter, T> writeItem, string? next) =>
        WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("total", total);
            w.WriteStartArray("items");
            foreach (var item in items) writeItem(w, item);
            w.WriteEndArray();
            if (next is null) w.WriteNull("next");
            else w.WriteString("next", next);
            w.WriteEndObject();
        });

    /// <summary>Kuma answers successful writes with an empty object.</summary>
    public static Task EmptyAsync(HttpContext context, int status, string? etag = null) =>
        WriteAsync(context, status, w =>
        {
            w.WriteStartObject();
            w.WriteEndObject();
        }, etag);

    public static string ETag(long version) => $"\"{version}\"";
}
