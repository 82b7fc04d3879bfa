using Envoy.Service.Discovery.V3;
using Kuma.Grains;
using Kuma.Xds.Generation;

namespace Kuma.Xds.Protocol;

/// <summary>
/// Incremental ADS for one stream: per type it remembers which version of each resource the client
/// holds, sends only what differs, names deletions (and names asked for that do not exist) in
/// <c>removed_resources</c>, and honours subscription changes even on a stale nonce.
/// </summary>
public sealed class DeltaStream(TimeProvider clock) : IXdsEngine<DeltaDiscoveryRequest, DeltaDiscoveryResponse>
{
    private const int MaxPendingPerType = 32;
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
        _types.TryGetValue(typeUrl, out var state) ? state.Acked.GetValueOrDefault(name) : null;

    public List<DeltaDiscoveryResponse> OnConfig(ProxyConfig? config)
    {
        _config = config;
        var responses = new List<DeltaDiscoveryResponse>();
        IReadOnlyCollection<string> clustersSent = [];
        foreach (var typeUrl in TypeUrls.PushOrder)
        {
            if (!_types.TryGetValue(typeUrl, out var state)) continue;
            // Envoy finishes warming an updated cluster only when its endpoints arrive again.
            var resend = typeUrl == TypeUrls.ClusterLoadAssignment ? clustersSent : [];
            var sent = Respond(typeUrl, state, resend, responses);
            if (typeUrl == TypeUrls.Cluster) clustersSent = sent;
        }
        return responses;
    }

    public List<DeltaDiscoveryResponse> OnRequest(DeltaDiscoveryRequest request)
    {
        var responses = new List<DeltaDiscoveryResponse>();
        var typeUrl = request.TypeUrl;
        if (!TypeUrls.IsKnown(typeUrl)) return responses;
        if (request.ResourceNamesSubscribe.Count > XdsLimits.MaxNamesPerType)
            throw new XdsProtocolException($"a request may subscribe to at most {XdsLimits.MaxNamesPerType} resources");

        var first = !_types.TryGetValue(typeUrl, out var state);
        state ??= _types[typeUrl] = new TypeState();
        // A plain ACK changes nothing the last answer depended on; anything else may.
        if (first || request.ErrorDetail is not null || request.ResourceNamesSubscribe.Count > 0 || request.ResourceNamesUnsubscribe.Count > 0)
            state.Answered = null;
        if (first)
        {
            // A reconnecting client says what it holds, so unchanged resources are not sent again.
            foreach (var (name, version) in request.InitialResourceVersions) state.Known[name] = version;
            if (request.ResourceNamesSubscribe.Count == 0 && TypeUrls.RequiresFullState(typeUrl)) state.Subscription.SetWildcard();
        }
        if (request.ResponseNonce.Length > 0 && state.Pending.Remove(request.ResponseNonce, out var answered))
        {
            if (request.ErrorDetail is { } error)
            {
                foreach (var (name, version) in answered) state.Rejected[name] = version;
                Events.Add(new XdsEvent(typeUrl, XdsEventKind.Nacked, request.ResponseNonce, error.Message, clock.GetUtcNow()));
            }
            else
            {
                // Only secrets are asked about (a CA rotation waits for bundles): other types keep no copy per stream.
                if (typeUrl == TypeUrls.Secret)
                {
                    foreach (var (name, version) in answered) state.Acked[name] = version;
                }
                Events.Add(new XdsEvent(typeUrl, XdsEventKind.Acked, request.ResponseNonce, null, clock.GetUtcNow()));
            }
        }
        // Subscription changes count whatever the nonce says.
        state.Subscription.Apply(request.ResourceNamesSubscribe, request.ResourceNamesUnsubscribe);
        if (state.Subscription.Names.Count > XdsLimits.MaxNamesPerType)
            throw new XdsProtocolException($"a stream may subscribe to at most {XdsLimits.MaxNamesPerType} resources of one type");
        foreach (var name in request.ResourceNamesUnsubscribe)
        {
            state.Known.Remove(name);
            state.Acked.Remove(name);
            state.ToldAbsent.Remove(name);
        }
        foreach (var name in request.ResourceNamesSubscribe)
        {
            // A re-subscribed name is sent again even if unchanged.
            if (!first) state.Known.Remove(name);
        }
        Respond(typeUrl, state, [], responses);
        return responses;
    }

    private HashSet<string> Respond(string typeUrl, TypeState state, IReadOnlyCollection<string> resend, List<DeltaDiscoveryResponse> responses)
    {
        var selection = state.Subscription.Select(_config, typeUrl);
        var before = state.Answered;
        state.Answered = selection;
        List<XdsResource> changed;
        List<string> removed, absent;
        if (resend.Count == 0 && before is not null)
        {
            // No request since the last answer: only what differs between the two selections can need saying.
            var (different, gone) = Diff(before, selection);
            if (different.Count == 0 && gone.Count == 0) return [];
            changed = different.Where(r => NeedsSending(state, r, resend)).ToList();
            removed = gone.Where(state.Known.ContainsKey).ToList();
            absent = gone.Where(n => state.Subscription.Names.Contains(n) && !state.Known.ContainsKey(n) && !state.ToldAbsent.Contains(n)).ToList();
        }
        else
        {
            var desired = selection.ToDictionary(r => r.Name, StringComparer.Ordinal);
            changed = desired.Values.Where(r => NeedsSending(state, r, resend)).ToList();
            removed = state.Known.Keys.Where(name => !desired.ContainsKey(name)).ToList();
            absent = state.Subscription.Names.Where(n => !desired.ContainsKey(n) && !state.Known.ContainsKey(n) && !state.ToldAbsent.Contains(n)).ToList();
        }
        if (changed.Count == 0 && removed.Count == 0 && absent.Count == 0) return [];

        var chunk = NewResponse(typeUrl);
        var size = 0;
        foreach (var r in changed)
        {
            if (r.Size > XdsLimits.MaxResponseBytes)
            {
                Events.Add(new XdsEvent(typeUrl, XdsEventKind.Nacked, r.Version, $"{r.Name} exceeds {XdsLimits.MaxResponseBytes} bytes; not sent", clock.GetUtcNow()));
                state.Rejected[r.Name] = r.Version;
                continue;
            }
            if (size + r.Size > XdsLimits.MaxResponseBytes && chunk.Resources.Count > 0)
            {
                Emit(chunk, state, responses);
                chunk = NewResponse(typeUrl);
                size = 0;
            }
            chunk.Resources.Add(new Resource { Name = r.Name, Version = r.Version, Resource_ = r.Payload });
            size += r.Size;
            state.Known[r.Name] = r.Version;
        }
        foreach (var name in removed.Concat(absent))
        {
            chunk.RemovedResources.Add(name);
            state.Known.Remove(name);
            state.ToldAbsent.Add(name);
        }
        foreach (var name in changed.Select(r => r.Name)) state.ToldAbsent.Remove(name);
        Emit(chunk, state, responses);
        return changed.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
    }

    private static bool NeedsSending(TypeState state, XdsResource r, IReadOnlyCollection<string> resend) =>
        (!state.Known.TryGetValue(r.Name, out var held) || held != r.Version || resend.Contains(r.Name))
        && !(state.Rejected.TryGetValue(r.Name, out var rejected) && rejected == r.Version);

    /// <summary>Resources new or at another version in <paramref name="now"/>, and names only in <paramref name="before"/> (both in name order).</summary>
    private static (List<XdsResource> Different, List<string> Gone) Diff(IReadOnlyList<XdsResource> before, IReadOnlyList<XdsResource> now)
    {
        var different = new List<XdsResource>();
        var gone = new List<string>();
        int i = 0, j = 0;
        while (i < before.Count || j < now.Count)
        {
            var order = i == before.Count ? 1 : j == now.Count ? -1 : string.CompareOrdinal(before[i].Name, now[j].Name);
            if (order < 0) gone.Add(before[i++].Name);
            else if (order > 0) different.Add(now[j++]);
            else
            {
                if (!ReferenceEquals(before[i], now[j]) && before[i].Version != now[j].Version) different.Add(now[j]);
                i++;
                j++;
            }
        }
        return (different, gone);
    }

    private DeltaDiscoveryResponse NewResponse(string typeUrl) => new()
    {
        TypeUrl = typeUrl,
        SystemVersionInfo = _config?.Generation.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    private void Emit(DeltaDiscoveryResponse response, TypeState state, List<DeltaDiscoveryResponse> responses)
    {
        if (response.Resources.Count == 0 && response.RemovedResources.Count == 0) return;
        response.Nonce = (++_nonce).ToString(System.Globalization.CultureInfo.InvariantCulture);
        state.Pending[response.Nonce] = response.Resources.Select(r => (r.Name, r.Version)).ToList();
        // A client that never answers must not make us remember without bound.
        if (state.Pending.Count > MaxPendingPerType) state.Pending.Remove(state.Pending.Keys.First());
        responses.Add(response);
        Events.Add(new XdsEvent(response.TypeUrl, XdsEventKind.Sent, response.Nonce, null, clock.GetUtcNow()));
    }

    private sealed class TypeState
    {
        public Subscription Subscription { get; } = new();
        /// <summary>The selection the last answer was computed from; null once a request may have changed what to say.</summary>
        public IReadOnlyList<XdsResource>? Answered { get; set; }
        /// <summary>What the client holds: name to version.</summary>
        public Dictionary<string, string> Known { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, string> Rejected { get; } = new(StringComparer.Ordinal);
        /// <summary>Secrets the client acknowledged last: name to version.</summary>
        public Dictionary<string, string> Acked { get; } = new(StringComparer.Ordinal);
        public HashSet<string> ToldAbsent { get; } = new(StringComparer.Ordinal);
        /// <summary>Responses not yet acknowledged, by nonce.</summary>
        public Dictionary<string, List<(string Name, string Version)>> Pending { get; } = new(StringComparer.Ordinal);
    }
}
