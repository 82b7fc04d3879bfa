using Kuma.Resources.Core;

namespace Kuma.Xds.Generation;

/// <summary>
/// <c>x-kuma-tags</c>: the caller's tags, stamped by its outbound routes so the callee can match callers by
/// tag (legacy fault injection and rate limits). Kuma adds it only while the mesh has a policy that reads it,
/// and strips it on inbound routes so applications never see it.
/// </summary>
public static class KumaTagsHeader
{
    public const string Name = "x-kuma-tags";

    /// <summary>Policy types whose presence in a mesh makes outbound routes carry the header (those of Kuma's that exist here).</summary>
    public static readonly string[] ReadBy = ["MeshFaultInjection"];

    /// <summary>
    /// Every value of every tag of the dataplane's inbounds (and gateway), as <c>&amp;key=v1,v2&amp;</c> per key in
    /// key order with values sorted; null when there are none.
    /// </summary>
    public static string? Value(DataplaneSpec dataplane)
    {
        var net = dataplane.Networking;
        var values = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        void Add(IReadOnlyDictionary<string, string>? tags)
        {
            foreach (var (key, value) in tags ?? new Dictionary<string, string>())
            {
                if (!values.TryGetValue(key, out var set)) values[key] = set = new SortedSet<string>(StringComparer.Ordinal);
                set.Add(value);
            }
        }
        foreach (var inbound in net?.Inbound ?? []) Add(inbound.Tags);
        Add(net?.Gateway?.Tags);
        return values.Count == 0 ? null : string.Concat(values.Select(v => $"&{v.Key}={string.Join(',', v.Value)}&"));
    }
}
