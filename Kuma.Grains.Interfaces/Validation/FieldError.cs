namespace Kuma.Validation;

/// <summary>One invalid field: the path as Kuma prints it (<c>spec.to[0].default.idleTimeout</c>) and why.</summary>
[GenerateSerializer, Immutable, Alias("kuma.FieldError")]
public sealed record FieldError([property: Id(0)] string Field, [property: Id(1)] string Reason);
