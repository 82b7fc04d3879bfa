using System.Text.Json.Nodes;
using Envoy.Config.Core.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf;
using Kuma.Grains;
using Kuma.Xds.Generation;

namespace Kuma.Xds.Inspect;

/// <summary>
/// A proxy's config in the shape Kuma's <c>_config</c> answers in its <c>xds</c> field: per type URL, per resource
/// name, the resource as Envoy JSON (without <c>@type</c>, which the key already says), types and names in ordinal
/// order as Kuma's JSON maps come out. Secrets are placeholders, as Kuma's are: the view never holds a private key
/// (a stream's key exists only in that stream), and a tool that compares it with Kuma's sees the same values.
/// </summary>
public static class KumaConfigDump
{
    private static readonly ByteString PlaceholderCertificate = ByteString.CopyFromUtf8("CERT");
    private static readonly ByteString PlaceholderKey = ByteString.CopyFromUtf8("KEY");
    private static readonly ByteString PlaceholderCa = ByteString.CopyFromUtf8("CA");

    /// <summary>What a sidecar holds: its listeners, clusters, their endpoints, routes, and the secrets they name.</summary>
    public static JsonObject Render(ProxyConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var clusters = config.Wildcard(TypeUrls.Cluster).ToList();
        var byType = new Dictionary<string, IEnumerable<XdsResource>>(StringComparer.Ordinal)
        {
            [TypeUrls.Listener] = config.Wildcard(TypeUrls.Listener),
            [TypeUrls.RouteConfiguration] = config.Wildcard(TypeUrls.RouteConfiguration),
            [TypeUrls.Cluster] = clusters,
            [TypeUrls.ClusterLoadAssignment] = clusters.Select(c => config.Find(TypeUrls.ClusterLoadAssignment, c.Name)).OfType<XdsResource>(),
        };
        return WithSecrets(ByType(byType));
    }

    /// <summary>What a client subscribing by name holds: the same selection as <see cref="ConfigDump.RenderSubscribed"/>.</summary>
    public static JsonObject RenderSubscribed(ProxyConfig config, StreamClient client)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(client);
        var byType = new Dictionary<string, IEnumerable<XdsResource>>(StringComparer.Ordinal);
        foreach (var typeUrl in new[] { TypeUrls.Listener, TypeUrls.RouteConfiguration, TypeUrls.Cluster, TypeUrls.ClusterLoadAssignment })
            byType[typeUrl] = ConfigDump.Subscribed(config, client, typeUrl);
        return WithSecrets(ByType(byType));
    }

    /// <summary>Types with no resource are left out, as Kuma leaves them out.</summary>
    private static JsonObject ByType(Dictionary<string, IEnumerable<XdsResource>> byType)
    {
        var xds = new JsonObject();
        foreach (var (typeUrl, resources) in byType.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var byName = new JsonObject();
            foreach (var resource in resources.OrderBy(r => r.Name, StringComparer.Ordinal))
            {
                var json = (JsonObject)ConfigDump.ToJson(resource);
                json.Remove("@type");
                byName[resource.Name] = json;
            }
            if (byName.Count > 0) xds[typeUrl] = byName;
        }
        return xds;
    }

    /// <summary>Adds a placeholder secret for each SDS secret the listeners and clusters name.</summary>
    private static JsonObject WithSecrets(JsonObject xds)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (_, resources) in xds) CollectSdsNames(resources, names);
        if (names.Count == 0) return xds;
        var secrets = new JsonObject();
        foreach (var name in names)
        {
            var json = (JsonObject)ConfigDump.ToJson(XdsResource.Encode(name, Placeholder(name)));
            json.Remove("@type");
            secrets[name] = json;
        }
        var ordered = new JsonObject();
        foreach (var (typeUrl, resources) in xds.ToList().Append(new(TypeUrls.Secret, secrets)).OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            xds.Remove(typeUrl);
            ordered[typeUrl] = resources;
        }
        return ordered;
    }

    private static Secret Placeholder(string name) => name.StartsWith("identity_cert:", StringComparison.Ordinal)
        ? new Secret
        {
            Name = name,
            TlsCertificate = new TlsCertificate
            {
                CertificateChain = new DataSource { InlineBytes = PlaceholderCertificate },
                PrivateKey = new DataSource { InlineBytes = PlaceholderKey },
            },
        }
        : new Secret { Name = name, ValidationContext = new CertificateValidationContext { TrustedCa = new DataSource { InlineBytes = PlaceholderCa } } };

    /// <summary>An SDS reference is an object with a <c>name</c> and its <c>sdsConfig</c>.</summary>
    private static void CollectSdsNames(JsonNode? node, SortedSet<string> names)
    {
        switch (node)
        {
            case JsonObject o:
                if (o["sdsConfig"] is not null && o["name"] is JsonValue name && name.TryGetValue<string>(out var text)) names.Add(text);
                foreach (var (_, child) in o) CollectSdsNames(child, names);
                break;
            case JsonArray a:
                foreach (var child in a) CollectSdsNames(child, names);
                break;
        }
    }
}
