using System.Collections.Immutable;
using System.Text.Json;
using Kuma.Policies;
using Kuma.Resources;

namespace Kuma.Gateway.Api;

/// <summary>Counts of dataplanes by status, written as Kuma's protobuf JSON writes them: zero counts left out.</summary>
public sealed class DataplaneStat
{
    public long Total { get; private set; }
    public long Online { get; private set; }
    public long Offline { get; private set; }
    public long PartiallyDegraded { get; private set; }

    public void Add(DataplaneStatus status)
    {
        Total++;
        switch (status)
        {
            case DataplaneStatus.Online: Online++; break;
            case DataplaneStatus.Offline: Offline++; break;
            default: PartiallyDegraded++; break;
        }
    }

    public void Add(DataplaneStat other)
    {
        Total += other.Total;
        Online += other.Online;
        Offline += other.Offline;
        PartiallyDegraded += other.PartiallyDegraded;
    }

    public void Write(Utf8JsonWriter w, string name)
    {
        w.WriteStartObject(name);
        WriteNonZero(w, "total", Total);
        WriteNonZero(w, "online", Online);
        WriteNonZero(w, "offline", Offline);
        WriteNonZero(w, "partiallyDegraded", PartiallyDegraded);
        w.WriteEndObject();
    }

    /// <summary>The global insight's shape: every count, in its schema's order.</summary>
    public void WriteFull(Utf8JsonWriter w, string name)
    {
        w.WriteStartObject(name);
        w.WriteNumber("offline", Offline);
        w.WriteNumber("online", Online);
        w.WriteNumber("partiallyDegraded", PartiallyDegraded);
        w.WriteNumber("total", Total);
        w.WriteEndObject();
    }

    internal static void WriteNonZero(Utf8JsonWriter w, string name, long value)
    {
        if (value != 0) w.WriteNumber(name, value);
    }
}

/// <summary>
/// Kuma's MeshInsight of one mesh. What this control plane does not know is what Kuma shows for it: kuma-dp versions
/// are "unknown" (only Envoy reports its version, in its node), and <c>mTLS</c> is empty (which backend issued each
/// proxy's certificate is not recorded).
/// </summary>
public sealed class MeshInsight
{
    private MeshInsight(StoredResource mesh, ImmutableArray<DataplaneView> dataplanes, ImmutableSortedDictionary<string, long> resources)
    {
        Mesh = mesh;
        Dataplanes = dataplanes;
        Resources = resources;
    }

    public StoredResource Mesh { get; }
    public ImmutableArray<DataplaneView> Dataplanes { get; }
    /// <summary>Per resource type of the mesh, how many there are (types with none left out).</summary>
    public ImmutableSortedDictionary<string, long> Resources { get; }

    public DataplaneStat All { get; } = new();
    public DataplaneStat Standard { get; } = new();
    public DataplaneStat Gateway { get; } = new();
    public DataplaneStat GatewayBuiltin { get; } = new();
    public DataplaneStat GatewayDelegated { get; } = new();
    private readonly SortedDictionary<string, DataplaneStat> _kumaDp = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, DataplaneStat> _envoy = new(StringComparer.Ordinal);
    private readonly HashSet<string> _services = new(StringComparer.Ordinal);

    public IEnumerable<KeyValuePair<string, long>> Policies => Resources.Where(r => PolicyTypes.Catalog.FindByName(r.Key) is { IsPolicy: true });

    public static MeshInsight From(StoredResource mesh, ImmutableArray<DataplaneView> dataplanes, ImmutableSortedDictionary<string, long> resources)
    {
        var insight = new MeshInsight(mesh, dataplanes, resources);
        foreach (var view in dataplanes) insight.Count(view);
        insight.Gateway.Add(insight.GatewayBuiltin);
        insight.Gateway.Add(insight.GatewayDelegated);
        return insight;
    }

    private void Count(DataplaneView view)
    {
        var status = view.Status;
        All.Add(status);
        (view.GatewayType switch { "BUILTIN" => GatewayBuiltin, "DELEGATED" => GatewayDelegated, _ => Standard }).Add(status);
        StatOf(_kumaDp, DataplaneView.Unknown).Add(status);
        StatOf(_envoy, view.EnvoyVersion).Add(status);
        if (view.Spec.Networking?.Gateway?.Tags?.GetValueOrDefault(ServiceInsight.ServiceTag) is { Length: > 0 } gatewayService) _services.Add(gatewayService);
        foreach (var inbound in view.Spec.Networking?.Inbound ?? [])
        {
            if (inbound.State != "Ignored" && inbound.Tags?.GetValueOrDefault(ServiceInsight.ServiceTag) is { Length: > 0 } service) _services.Add(service);
        }
    }

    private static DataplaneStat StatOf(SortedDictionary<string, DataplaneStat> stats, string key)
    {
        if (!stats.TryGetValue(key, out var stat)) stats[key] = stat = new DataplaneStat();
        return stat;
    }

    /// <summary>Kuma's field order (the proto's); maps without entries are left out, as protobuf JSON leaves them out.</summary>
    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "MeshInsight");
        w.WriteString("name", Mesh.Key.Name);
        w.WriteString("creationTime", ResourceJson.FormatTime(Mesh.CreationTime));
        w.WriteString("modificationTime", ResourceJson.FormatTime(Mesh.ModificationTime));
        All.Write(w, "dataplanes");
        WriteTotals(w, "policies", Policies);
        w.WriteStartObject("dpVersions");
        WriteStats(w, "kumaDp", _kumaDp);
        WriteStats(w, "envoy", _envoy);
        w.WriteEndObject();
        w.WriteStartObject("mTLS");
        w.WriteEndObject();
        w.WriteStartObject("services");
        DataplaneStat.WriteNonZero(w, "total", _services.Count);
        DataplaneStat.WriteNonZero(w, "internal", _services.Count);
        w.WriteEndObject();
        w.WriteStartObject("dataplanesByType");
        Standard.Write(w, "standard");
        Gateway.Write(w, "gateway");
        GatewayBuiltin.Write(w, "gatewayBuiltin");
        GatewayDelegated.Write(w, "gatewayDelegated");
        w.WriteEndObject();
        WriteTotals(w, "resources", Resources);
        w.WriteEndObject();
    }

    private static void WriteStats(Utf8JsonWriter w, string name, SortedDictionary<string, DataplaneStat> stats)
    {
        if (stats.Count == 0) return;
        w.WriteStartObject(name);
        foreach (var (key, stat) in stats) stat.Write(w, key);
        w.WriteEndObject();
    }

    private static void WriteTotals(Utf8JsonWriter w, string name, IEnumerable<KeyValuePair<string, long>> totals)
    {
        var list = totals.ToList();
        if (list.Count == 0) return;
        w.WriteStartObject(name);
        foreach (var (key, total) in list)
        {
            w.WriteStartObject(key);
            w.WriteNumber("total", total);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }
}

/// <summary>
/// Kuma's ServiceInsight of one <c>kuma.io/service</c>: its type, status and dataplanes online and offline (a partially
/// degraded one counts as offline, as in Kuma). Left out as we cannot fill them: <c>issuedBackends</c> (not recorded)
/// and <c>addressPort</c> (no <c>.mesh</c> VIP DNS here).
/// </summary>
public sealed record ServiceInsight(StoredResource Mesh, string Name, string Type, string Status, long Online, long Offline, ImmutableArray<string> Zones)
{
    public const string ServiceTag = "kuma.io/service";
    private const string ZoneTag = "kuma.io/zone";
    public static readonly ImmutableHashSet<string> Types = ["internal", "external", "gateway_delegated", "gateway_builtin"];

    public static ServiceInsight Empty(StoredResource mesh, string name) => new(mesh, name, "internal", "", 0, 0, []);

    /// <summary>Kuma's resyncer: a gateway counts for its service, every inbound that is not Ignored for its own.</summary>
    public static ImmutableArray<ServiceInsight> From(StoredResource mesh, ImmutableArray<DataplaneView> dataplanes)
    {
        var byName = new SortedDictionary<string, (string Type, long Online, long Offline, SortedSet<string> Zones)>(StringComparer.Ordinal);
        void Count(string? service, string type, DataplaneStatus status, string? zone)
        {
            if (string.IsNullOrEmpty(service)) return;
            var entry = byName.TryGetValue(service, out var existing) ? existing : (Type: type, Online: 0L, Offline: 0L, Zones: new SortedSet<string>(StringComparer.Ordinal));
            if (status == DataplaneStatus.Online) entry.Online++;
            else entry.Offline++;
            if (!string.IsNullOrEmpty(zone)) entry.Zones.Add(zone);
            byName[service] = entry;
        }
        foreach (var view in dataplanes)
        {
            var status = view.Status;
            if (view.Spec.Networking?.Gateway is { } gateway)
            {
                Count(gateway.Tags?.GetValueOrDefault(ServiceTag), view.GatewayType == "BUILTIN" ? "gateway_builtin" : "gateway_delegated", status, gateway.Tags?.GetValueOrDefault(ZoneTag));
                continue;
            }
            foreach (var inbound in view.Spec.Networking?.Inbound ?? [])
            {
                if (inbound.State != "Ignored") Count(inbound.Tags?.GetValueOrDefault(ServiceTag), "internal", status, inbound.Tags?.GetValueOrDefault(ZoneTag));
            }
        }
        return [.. byName.Select(s => new ServiceInsight(mesh, s.Key, s.Value.Type, StatusOf(s.Value.Online, s.Value.Offline), s.Value.Online, s.Value.Offline, [.. s.Value.Zones]))];
    }

    private static string StatusOf(long online, long offline) => online == 0 ? "offline" : offline == 0 ? "online" : "partially_degraded";

    /// <summary>The proto's field order; zero values and the default type (internal) left out.</summary>
    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "ServiceInsight");
        w.WriteString("mesh", Mesh.Key.Name);
        w.WriteString("name", Name);
        w.WriteString("creationTime", ResourceJson.FormatTime(Mesh.CreationTime));
        w.WriteString("modificationTime", ResourceJson.FormatTime(Mesh.ModificationTime));
        if (Status.Length > 0) w.WriteString("status", Status);
        w.WriteStartObject("dataplanes");
        DataplaneStat.WriteNonZero(w, "total", Online + Offline);
        DataplaneStat.WriteNonZero(w, "online", Online);
        DataplaneStat.WriteNonZero(w, "offline", Offline);
        w.WriteEndObject();
        if (Type != "internal") w.WriteString("serviceType", Type);
        if (!Zones.IsEmpty)
        {
            w.WriteStartArray("zones");
            foreach (var zone in Zones) w.WriteStringValue(zone);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }
}

/// <summary>
/// Kuma's GlobalInsight over one tenant's meshes. This control plane is one zone with no zone proxies, so the
/// <c>zones</c> counts are Kuma's zeros, and there are no external services.
/// </summary>
public sealed class GlobalInsight
{
    private long _meshes;
    private long _policies;
    private readonly SortedDictionary<string, long> _resources = new(StringComparer.Ordinal);
    private readonly DataplaneStat _standard = new();
    private readonly DataplaneStat _gatewayBuiltin = new();
    private readonly DataplaneStat _gatewayDelegated = new();
    private readonly DataplaneStat _internal = new();
    private readonly DataplaneStat _servicesBuiltin = new();
    private readonly DataplaneStat _servicesDelegated = new();

    public void Add(MeshInsight mesh, ImmutableArray<ServiceInsight> services)
    {
        _meshes++;
        _policies += mesh.Policies.Sum(p => p.Value);
        foreach (var (type, total) in mesh.Resources) _resources[type] = _resources.GetValueOrDefault(type) + total;
        _standard.Add(mesh.Standard);
        _gatewayBuiltin.Add(mesh.GatewayBuiltin);
        _gatewayDelegated.Add(mesh.GatewayDelegated);
        foreach (var service in services)
        {
            var stat = service.Type switch { "gateway_builtin" => _servicesBuiltin, "gateway_delegated" => _servicesDelegated, _ => _internal };
            stat.Add(service.Status switch
            {
                "online" => DataplaneStatus.Online,
                "offline" => DataplaneStatus.Offline,
                _ => DataplaneStatus.PartiallyDegraded,
            });
        }
    }

    /// <summary>The schema's fields in the order Kuma writes them.</summary>
    public void Write(Utf8JsonWriter w, DateTimeOffset createdAt)
    {
        w.WriteStartObject();
        w.WriteString("createdAt", ResourceJson.FormatTime(createdAt));
        w.WriteStartObject("dataplanes");
        _gatewayBuiltin.WriteFull(w, "gatewayBuiltin");
        _gatewayDelegated.WriteFull(w, "gatewayDelegated");
        _standard.WriteFull(w, "standard");
        w.WriteEndObject();
        w.WriteStartObject("meshes");
        w.WriteNumber("total", _meshes);
        w.WriteEndObject();
        w.WriteStartObject("policies");
        w.WriteNumber("total", _policies);
        w.WriteEndObject();
        w.WriteStartObject("resources");
        foreach (var (type, total) in _resources)
        {
            w.WriteStartObject(type);
            w.WriteNumber("total", total);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteStartObject("services");
        w.WriteStartObject("external");
        w.WriteNumber("total", 0);
        w.WriteEndObject();
        _servicesBuiltin.WriteFull(w, "gatewayBuiltin");
        _servicesDelegated.WriteFull(w, "gatewayDelegated");
        _internal.WriteFull(w, "internal");
        w.WriteEndObject();
        w.WriteStartObject("zones");
        foreach (var name in new[] { "controlPlanes", "zoneEgresses", "zoneIngresses" })
        {
            w.WriteStartObject(name);
            w.WriteNumber("online", 0);
            w.WriteNumber("total", 0);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
