namespace Kuma.Kumactl;

/// <summary>A failure the user can act on: printed as <c>Error: message</c>, exit code 1, no stack trace.</summary>
public sealed class KumactlException(string message) : Exception(message);
