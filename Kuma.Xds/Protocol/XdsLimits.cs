namespace Kuma.Xds.Protocol;

public static class XdsLimits
{
    /// <summary>gRPC clients refuse messages over 4 MiB; responses stay below with room for framing.</summary>
    public const int MaxResponseBytes = 4 * 1024 * 1024 - 64 * 1024;

    /// <summary>A subscription naming more than this is refused rather than tracked.</summary>
    public const int MaxNamesPerType = 10_000;
}

/// <summary>A request the stream cannot serve; it ends with this reason.</summary>
public sealed class XdsProtocolException(string message) : Exception(message);
