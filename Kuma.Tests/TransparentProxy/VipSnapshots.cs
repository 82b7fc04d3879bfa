using System.Collections.Immutable;
using Google.Protobuf.WellKnownTypes;
using Kuma.Grains;
using Kuma.Resources;
using Kuma.Resources.Core;
using Kuma.Vips;
using Kuma.Xds.Generation;

namespace Kuma.Tests.TransparentProxy;

/// <summary>Snapshots with the VIP record the mesh grain would have stored for them, and nodes that redirect DNS.</summary>
public static class VipSnapshots
{
    /// <summary>The snapshot with the table the allocator makes for its services from <paramref name="previous"/> (none: a fresh table).</summary>
    public static MeshSnapshot WithAllocatedVips(MeshSnapshot snapshot, MeshVips? previous = null) =>
        WithVips(snapshot, new VipAllocator().Allocate(previous ?? MeshVips.Empty, VipAllocator.Services(snapshot)));

    public static MeshSnapshot WithVips(MeshSnapshot snapshot, MeshVips vips)
    {
        var record = new StoredResource
        {
            Key = new ResourceKey(snapshot.Tenant, MeshVips.Type, snapshot.Mesh, MeshVips.RecordName(snapshot.Mesh)),
            SpecJson = vips.SpecJson(),
            Version = 1,
        };
        var byName = ImmutableSortedDictionary.Create<string, StoredResource>(StringComparer.Ordinal).Add(record.Key.Name, record);
        return snapshot with { ByType = snapshot.ByType.SetItem(MeshVips.Type, byName) };
    }

    /// <summary>What kuma-dp reports when it redirects DNS to Envoy on <paramref name="port"/> (kuma-dp's default <c>--dns-envoy-port</c> is 15054).</summary>
    public static ProxyNode DnsNode(uint port = 15054)
    {
        var metadata = new Struct();
        metadata.Fields[ProxyNode.DnsPortKey] = Value.ForString(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return ProxyNode.Of(metadata);
    }
}
