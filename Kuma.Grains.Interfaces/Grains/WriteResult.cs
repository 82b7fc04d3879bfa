using System.Collections.Immutable;
using Kuma.Resources;
using Kuma.Validation;

namespace Kuma.Grains;

public enum WriteStatus
{
    Created,
    Updated,
    Deleted,
    NotFound,
    /// <summary>The stored version differs from the one the caller expected, or the name was taken meanwhile.</summary>
    Conflict,
    Invalid,
    QuotaExceeded,
}

/// <summary>Outcome of a write, returned rather than thrown so that expected refusals cost no exception across grains.</summary>
[GenerateSerializer, Immutable, Alias("kuma.WriteResult")]
public sealed record WriteResult(
    [property: Id(0)] WriteStatus Status,
    [property: Id(1)] StoredResource? Resource = null,
    [property: Id(2)] string? Message = null,
    [property: Id(3)] ImmutableArray<FieldError> Errors = default)
{
    public static WriteResult Invalid(string field, string reason) =>
        new(WriteStatus.Invalid, Message: "Resource is not valid", Errors: [new FieldError(field, reason)]);

    public static readonly WriteResult NotFound = new(WriteStatus.NotFound);
}
