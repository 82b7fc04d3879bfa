using Kuma.Store;

namespace Kuma.Gateway.Api;

/// <summary>
/// Failures of what the edge depends on (the store, a silo, the cluster's messaging), told apart from
/// bugs: each answers 503 with <c>Retry-After</c>, and a write whose fate the store did not confirm
/// says so, since retrying it blindly may apply it twice or conflict with itself.
/// </summary>
public static class Unavailability
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);

    /// <summary>The kind of outage and how to answer it, or null when <paramref name="e"/> is not one.</summary>
    public static (string Kind, ApiException Answer)? Classify(Exception e) => e switch
    {
        StoreUnavailableException { OutcomeUnknown: true } => ("store", Answer(
            "the store did not confirm this write in time: it may or may not have been applied; read the resource before retrying")),
        StoreUnavailableException => ("store", Answer("the store is unavailable; try again shortly")),
        TimeoutException => ("cluster timeout", Answer("the control plane did not answer in time; try again shortly")),
        OrleansMessageRejectionException => ("cluster", Answer("a part of the control plane is unavailable; try again shortly")),
        _ => null,
    };

    private static ApiException Answer(string detail) =>
        new(StatusCodes.Status503ServiceUnavailable, "Service Unavailable", detail) { RetryAfter = RetryAfter };
}
