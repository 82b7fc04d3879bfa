namespace Kuma.Store;

/// <summary>
/// The durable store could not be reached or did not answer in time. It crosses grain calls so the
/// edge can answer 503; <see cref="OutcomeUnknown"/> says a write may or may not have committed.
/// </summary>
[GenerateSerializer, Alias("kuma.StoreUnavailableException")]
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException() { }

    public StoreUnavailableException(string message) : base(message) { }

    public StoreUnavailableException(string message, Exception inner) : base(message, inner) { }

    public StoreUnavailableException(string message, bool outcomeUnknown) : base(message) => OutcomeUnknown = outcomeUnknown;

    [Id(0)] public bool OutcomeUnknown { get; init; }
}
