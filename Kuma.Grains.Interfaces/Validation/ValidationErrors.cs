using System.Collections.Immutable;

namespace Kuma.Validation;

/// <summary>
/// Collects every error of a body before anything is answered, so a user fixes a request in one round.
/// </summary>
public sealed class ValidationErrors
{
    private readonly List<FieldError> _errors = [];

    public bool IsEmpty => _errors.Count == 0;
    public int Count => _errors.Count;

    public void Add(string field, string reason) => _errors.Add(new FieldError(field, reason));

    public void AddRange(IEnumerable<FieldError> errors) => _errors.AddRange(errors);

    public ImmutableArray<FieldError> ToImmutable() => [.. _errors];
}

/// <summary>Builds field paths the way Kuma prints them.</summary>
public readonly record struct FieldPath(string Value)
{
    public static readonly FieldPath Root = new("");

    public FieldPath Field(string name) => new(Value.Length == 0 ? name : $"{Value}.{name}");
    public FieldPath Index(int i) => new($"{Value}[{i}]");
    public FieldPath Key(string key) => new($"{Value}[\"{key}\"]");

    public override string ToString() => Value;
    public static implicit operator string(FieldPath p) => p.Value;
}
