using System.Security.Cryptography;
using System.Text;
using Envoy.Service.Discovery.V3;
using Kuma.Grains;
using Kuma.Xds.Generation;

namespace Kuma.Xds.Protocol;

/// <summary>
/// State-of-the-world ADS for one stream, without I/O: requests and config changes in, responses and
/// insight events out. Each type URL is its own sub-stream with its own subscription, version and nonce.
/// </summary>
public sealed class SotwStream(TimeProvider clock) : IXdsEngine<DiscoveryRequest, DiscoveryResponse>
{
    private readonly Dictionary<string, TypeState> _types = new(StringComparer.Ordinal);
    private long _nonce;
    private ProxyConfig? _config;

    public List<XdsEvent> Events { get; } = [];

    public int SubscriptionChanges
    {
        get
        {
            var changes = _types.Count;
            foreach (var state in _types.Values) changes += state.Subscription.Changes;
            return changes;
        }
    }

    public IEnumerable<(string TypeUrl, Subscription Subscription)> Subscriptions => _types.Select(t => (t.Key, t.Value.Subscription));

    public string? AcceptedVersion(string typeUrl, string name) =>
        _types.TryGetValue(typeUrl, out var state) ? state.Accepted?.FirstOrDefault(r => r.Name == name)?.Version : null;

    /// <summary>A new mesh generation (or a mesh that disappeared): push what changed, clusters first.</summary>
    public List<DiscoveryResponse> OnConfig(ProxyConfig? config)
    {
        _config = config;
        var responses = new List<DiscoveryResponse>();
        var clustersSent = false;
        foreach (var typeUrl in TypeUrls.PushOrder)
        {
            if (!_types.TryGetValue(typeUrl, out var state)) continue;
            // Envoy only finishes warming an updated cluster when its endpoints arrive again.
            var force = clustersSent && typeUrl == TypeUrls.ClusterLoadAssignment;
            var sent = Respond(typeUrl, state, force, responses);
            clustersSent |= sent && typeUrl == TypeUrls.Cluster;
        }
        return responses;
    }

    public List<DiscoveryResponse> OnRequest(DiscoveryRequest request)
    {
        var responses = new List<DiscoveryResponse>();
        var typeUrl = request.TypeUrl;
        if (!TypeUrls.IsKnown(typeUrl)) return responses; // nothing to offer, nothing to break
        if (request.ResourceNames.Count > XdsLimits.MaxNamesPerType)
            throw new XdsProtocolException($"a request may name at most {XdsLimits.MaxNamesPerType} resources");

        var first = !_types.TryGetValue(typeUrl, out var state);
        state ??= _types[typeUrl] = new TypeState();
        if (request.ResponseNonce.Length > 0)
        {
            // Only the latest response may be answered; an older nonce is a request the client already overtook.
            if (request.ResponseNonce != state.Nonce) return responses;
            if (request.ErrorDetail is { } error)
            {
                state.RejectedVersion = state.SentVersion;
                state.Sent = null; // the client kept what it last accepted: the next change is measured from that
                Events.Add(new XdsEvent(typeUrl, XdsEventKind.Nacked, state.SentVersion ?? "", error.Message, clock.GetUtcNow()));
            }
            else
            {
                state.RejectedVersion = null;
                state.Accepted = state.Sent;
                Events.Add(new XdsEvent(typeUrl, XdsEventKind.Acked, request.VersionInfo, null, clock.GetUtcNow()));
            }
        }
        var added = state.Subscription.ReplaceWith(request.ResourceNames, typeUrl, first);
        // A first request, or newly named resources, are answered even when nothing changed.
        Respond(typeUrl, state, force: first || added.Count > 0, responses);
        return responses;
    }

    private bool Respond(string typeUrl, TypeState state, bool force, List<DiscoveryResponse> responses)
    {
        var resources = state.Subscription.Select(_config, typeUrl);
        if (!force && Subscription.Same(state.Sent, resources)) return false;
        var version = ResourceSet.VersionOf(resources);
        if (!force && version == state.SentVersion) return false;
        // Never send again what the client rejected: wait until the config changes.
        if (!force && version == state.RejectedVersion) return false;

        // EDS and RDS may carry only what changed; the client keeps the rest (LDS and CDS travel whole).
        // Against what the client last accepted, not what was last sent: a response it rejected, or one
        // it answered only with a stale nonce, may not be what it holds.
        var content = force || TypeUrls.RequiresFullState(typeUrl) ? resources : Changed(resources, state.Accepted ?? []);
        var chunks = Chunk(content, typeUrl);
        if (chunks is null)
        {
            Events.Add(new XdsEvent(typeUrl, XdsEventKind.Nacked, version,
                $"response would exceed {XdsLimits.MaxResponseBytes} bytes; not sent", clock.GetUtcNow()));
            state.RejectedVersion = version;
            return false;
        }
        foreach (var chunk in chunks)
        {
            var response = new DiscoveryResponse { TypeUrl = typeUrl, VersionInfo = version, Nonce = NextNonce() };
            foreach (var r in chunk) response.Resources.Add(r.Payload);
            responses.Add(response);
            state.Nonce = response.Nonce;
        }
        state.SentVersion = version;
        state.Sent = resources;
        Events.Add(new XdsEvent(typeUrl, XdsEventKind.Sent, version, null, clock.GetUtcNow()));
        return true;
    }

    /// <summary>The resources of <paramref name="now"/> not in <paramref name="before"/> at the same version (both in name order).</summary>
    private static List<XdsResource> Changed(IReadOnlyList<XdsResource> now, IReadOnlyList<XdsResource> before)
    {
        var changed = new List<XdsResource>();
        var j = 0;
        foreach (var r in now)
        {
            while (j < before.Count && string.CompareOrdinal(before[j].Name, r.Name) < 0) j++;
            if (j < before.Count && (ReferenceEquals(before[j], r) || (before[j].Name == r.Name && before[j].Version == r.Version))) continue;
            changed.Add(r);
        }
        return changed;
    }

    /// <summary>LDS and CDS must travel whole; EDS and RDS may be split into several responses.</summary>
    private static List<List<XdsResource>>? Chunk(IReadOnlyList<XdsResource> resources, string typeUrl)
    {
        var chunks = new List<List<XdsResource>> { new() };
        var size = 0;
        foreach (var r in resources)
        {
            if (size + r.Size > XdsLimits.MaxResponseBytes)
            {
                if (TypeUrls.RequiresFullState(typeUrl) || r.Size > XdsLimits.MaxResponseBytes) return null;
                chunks.Add([]);
                size = 0;
            }
            chunks[^1].Add(r);
            size += r.Size;
        }
        return chunks;
    }

    private string NextNonce() => (++_nonce).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private sealed class TypeState
    {
        public Subscription Subscription { get; } = new();
        public string? SentVersion { get; set; }
        /// <summary>The selection last sent, in name order; null after a rejection.</summary>
        public IReadOnlyList<XdsResource>? Sent { get; set; }
        /// <summary>The selection the client last acknowledged on the latest nonce; null when unknown.</summary>
        public IReadOnlyList<XdsResource>? Accepted { get; set; }
        public string? RejectedVersion { get; set; }
        public string Nonce { get; set; } = "";
    }
}
