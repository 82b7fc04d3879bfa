using System.Text.Json;
using Kuma.Validation;

namespace Kuma.Gateway.Api;

/// <summary>
/// An error answered in Kuma's shape: RFC 7807 fields plus <c>invalid_parameters</c>, and the older
/// <c>details</c>/<c>causes</c> pair that earlier kumactl versions read.
/// </summary>
public sealed class ApiException(int status, string title, string detail, IReadOnlyList<FieldError>? fields = null) : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
    public string Detail { get; } = detail;
    public IReadOnlyList<FieldError> Fields { get; } = fields ?? [];
    public TimeSpan? RetryAfter { get; init; }

    public static ApiException BadRequest(string detail, IReadOnlyList<FieldError>? fields = null) =>
        new(StatusCodes.Status400BadRequest, "Bad Request", detail, fields);

    public static ApiException Invalid(IReadOnlyList<FieldError> fields) =>
        new(StatusCodes.Status400BadRequest, "Could not process a resource", "Resource is not valid", fields);

    public static ApiException NotFound(string detail = "Not found") => new(StatusCodes.Status404NotFound, "Not found", detail);

    public static ApiException Unauthorized(string detail) => new(StatusCodes.Status401Unauthorized, "Unauthorized", detail);

    public static ApiException Forbidden(string detail) => new(StatusCodes.Status403Forbidden, "Forbidden", detail);

    public static ApiException Conflict(string detail) => new(StatusCodes.Status409Conflict, "Conflict", detail);

    public static ApiException MethodNotAllowed(string method) =>
        new(StatusCodes.Status405MethodNotAllowed, "Method Not Allowed", $"method {method} is not allowed on this path");

    public static ApiException TooLarge(long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, "Request Entity Too Large", $"request body is larger than the limit of {limit} bytes");

    public async Task WriteAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = Status;
        response.ContentType = "application/json";
        if (RetryAfter is { } retryAfter)
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteString("type", "/std-errors");
        writer.WriteNumber("status", Status);
        writer.WriteString("title", Title);
        writer.WriteString("detail", Detail);
        if (Fields.Count > 0)
        {
            writer.WriteStartArray("invalid_parameters");
            foreach (var f in Fields)
            {
                writer.WriteStartObject();
                writer.WriteString("field", f.Field);
                writer.WriteString("reason", f.Reason);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        writer.WriteString("details", Detail);
        if (Fields.Count > 0)
        {
            writer.WriteStartArray("causes");
            foreach (var f in Fields)
            {
                writer.WriteStartObject();
                writer.WriteString("field", f.Field);
                writer.WriteString("message", f.Reason);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }
}
