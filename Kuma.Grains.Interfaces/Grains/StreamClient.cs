using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Kuma.Grains;

/// <summary>What one stream subscribes to on one xDS type: everything (wildcard) and/or these names.</summary>
/// <param name="OmittedNames">Names the stream asked for beyond what is recorded (see <see cref="StreamClient"/> for the caps).</param>
[GenerateSerializer, Immutable, Alias("kuma.XdsSubscription")]
public sealed record XdsSubscription(
    [property: Id(0)] string TypeUrl,
    [property: Id(1)] bool Wildcard,
    [property: Id(2)] ImmutableArray<string> Names,
    [property: Id(3)] int OmittedNames);

/// <summary>
/// Who is at the other end of a stream (the user agent its node names) and what it subscribes to. A proxy
/// chooses its names, so what is kept of them is capped: at most <see cref="MaxNamesPerType"/> names per type,
/// each at most <see cref="MaxNameLength"/> characters (longer names are not kept but counted as omitted), on
/// the four xDS types a stream can subscribe to: at most 64K characters per stream.
/// </summary>
[GenerateSerializer, Immutable, Alias("kuma.StreamClient")]
public sealed record StreamClient(
    [property: Id(0)] string UserAgentName,
    [property: Id(1)] string? UserAgentVersion,
    [property: Id(2)] ImmutableArray<XdsSubscription> Subscriptions)
{
    public const int MaxNamesPerType = 64;
    public const int MaxNameLength = 256;
    public const int MaxUserAgentLength = 128;

    /// <summary>
    /// gRPC's xDS clients name themselves "gRPC ..." (grpc-js: "gRPC Node Pure JS", grpc-go: "gRPC Go");
    /// Envoy says "envoy". Anything else is taken for a sidecar, as before streams were told apart.
    /// </summary>
    public bool Proxyless => IsProxyless(UserAgentName);

    public static bool IsProxyless(string? userAgentName) => userAgentName?.StartsWith("grpc", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>The names subscribed on <paramref name="typeUrl"/> (none when the type was never asked for).</summary>
    public XdsSubscription? On(string typeUrl) => Subscriptions.FirstOrDefault(s => s.TypeUrl == typeUrl);

    /// <summary>A record of a stream within the caps: names in ordinal order, the first ones kept.</summary>
    public static StreamClient Of(string? userAgentName, string? userAgentVersion, IEnumerable<(string TypeUrl, bool Wildcard, IEnumerable<string> Names)> subscriptions)
    {
        ArgumentNullException.ThrowIfNull(subscriptions);
        var types = ImmutableArray.CreateBuilder<XdsSubscription>();
        foreach (var (typeUrl, wildcard, names) in subscriptions)
        {
            var kept = new List<string>();
            var omitted = 0;
            foreach (var name in names.Order(StringComparer.Ordinal))
            {
                if (kept.Count < MaxNamesPerType && name.Length <= MaxNameLength) kept.Add(name);
                else omitted++;
            }
            types.Add(new XdsSubscription(typeUrl, wildcard, [.. kept], omitted));
        }
        return new StreamClient(Cap(userAgentName) ?? "", Cap(userAgentVersion), types.ToImmutable());
    }

    private static string? Cap(string? text) => text is { Length: > MaxUserAgentLength } ? text[..MaxUserAgentLength] : text;
}
