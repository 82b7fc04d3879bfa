using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kuma.Resources.Core;

/// <summary>
/// The virtual IPs of one mesh's services (<c>kuma.io/service</c> value to VIP), kept in the store as Kuma keeps them: a
/// system <c>Config</c> row named <c>kuma-&lt;mesh&gt;-dns-vips</c> whose <c>config</c> string holds Kuma's JSON view
/// (<c>{"0:backend":{"address":"240.0.0.1","outbounds":[{"Port":0,"TagSet":{"kuma.io/service":"backend"},"Origin":"service"}]}}</c>).
/// The row lives inside the mesh here (so it reaches the mesh's snapshot and goes with the mesh), under a type no API
/// route serves, as Kuma's Config rows are served by none.
/// </summary>
public sealed record MeshVips(ImmutableSortedDictionary<string, string> ByService)
{
    /// <summary>Kuma's system type for control-plane owned records.</summary>
    public const string Type = "Config";

    /// <summary>Kuma's origin of a service's own VIP entry.</summary>
    public const string ServiceOrigin = "service";

    /// <summary>The entry type Kuma gives a service's VIP (0: service, 1: host, 2: fqdn).</summary>
    private const string ServicePrefix = "0:";

    public static MeshVips Empty { get; } = new(ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal));

    public static string RecordName(string mesh) => $"kuma-{mesh}-dns-vips";

    public bool Equals(MeshVips? other) => other is not null && ByService.Count == other.ByService.Count
        && ByService.All(e => other.ByService.TryGetValue(e.Key, out var vip) && vip == e.Value);

    public override int GetHashCode() => ByService.Count;

    /// <summary>The table stored in a snapshot (empty when there is none or it is unreadable).</summary>
    public static MeshVips Of(StoredResource? record)
    {
        if (record is null) return Empty;
        try
        {
            return JsonNode.Parse(record.SpecJson)?["config"]?.GetValue<string>() is { Length: > 0 } config ? FromConfig(config) : Empty;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return Empty;
        }
    }

    /// <summary>Reads Kuma's view; entries other than services' (hosts, FQDNs of virtual outbounds) are not made here and are skipped.</summary>
    public static MeshVips FromConfig(string config)
    {
        var table = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        if (JsonNode.Parse(config) is not JsonObject entries) return Empty;
        foreach (var (key, value) in entries)
        {
            if (!key.StartsWith(ServicePrefix, StringComparison.Ordinal) || value?["address"]?.GetValue<string>() is not { Length: > 0 } address) continue;
            table[key[ServicePrefix.Length..]] = address;
        }
        return new MeshVips(table.ToImmutable());
    }

    /// <summary>Kuma's view of this table, keys in the order Go's encoder writes map keys (byte order).</summary>
    public string ToConfig()
    {
        var root = new JsonObject();
        foreach (var (service, address) in ByService.OrderBy(e => ServicePrefix + e.Key, StringComparer.Ordinal))
        {
            root[ServicePrefix + service] = new JsonObject
            {
                ["address"] = address,
                ["outbounds"] = new JsonArray(new JsonObject
                {
                    ["Port"] = 0,
                    ["TagSet"] = new JsonObject { ["kuma.io/service"] = service },
                    ["Origin"] = ServiceOrigin,
                }),
            };
        }
        return root.ToJsonString();
    }

    /// <summary>The spec of the stored row (Kuma's Config: one <c>config</c> string).</summary>
    public string SpecJson() => new JsonObject { ["config"] = ToConfig() }.ToJsonString();
}
