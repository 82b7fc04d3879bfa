using System.Text.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Google.Protobuf;
using Kuma.Gateway.Api;
using Kuma.Policies;
using Kuma.Policies.MeshProxyPatch;
using Kuma.Tests.Infrastructure;
using Kuma.Validation;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Policies.MeshProxyPatch;

/// <summary>
/// Kuma's own modification tests, as data (<c>modifications.yaml</c>): the same starting resources with the origins
/// Kuma's tests give them, the same modifications, and the resources Kuma expects, compared whole. A case may say
/// why it cannot run here (<c>skip</c>); the test then checks that the reason still holds. Where ours differs on purpose
/// (a modification that would break a resource is left out instead of applied), see <see cref="MeshProxyPatchTests"/>.
/// </summary>
public sealed class MeshProxyPatchModificationTests
{
    private static readonly Lazy<List<JsonObject>> Table = new(() =>
        [.. YamlToJson.Convert(File.ReadAllText(Path.Combine(NodeProcess.RepositoryRoot(), "Kuma.Tests", "Policies", "MeshProxyPatch", "modifications.yaml")))!
            .AsArray().Select(c => c!.AsObject())]);

    public static TheoryData<string> Cases() => new(Table.Value.Select(c => (string)c["name"]!));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Applies_modifications_as_Kuma_does(string name)
    {
        var @case = Table.Value.Single(c => (string)c["name"]! == name);
        var clusters = (string)@case["kind"]! == "clusters";
        var origins = new Dictionary<string, string>(StringComparer.Ordinal);
        var start = new List<XdsResource>();
        string? skip = (string?)@case["skip"];
        foreach (var resource in @case["resources"]!.AsArray())
        {
            var node = YamlToJson.Convert((string)resource!["yaml"]!);
            IMessage? message = clusters ? Parse<Cluster>(node, skip) : Parse<Listener>(node, skip);
            if (message is null) return; // the skip reason held
            var resourceName = clusters ? ((Cluster)message).Name : ((Listener)message).Name;
            origins[resourceName] = (string)resource["origin"]!;
            start.Add(XdsResource.Encode(resourceName, message));
        }
        var modifications = @case["modifications"]!.AsArray()
            .Select(m => YamlToJson.Convert((string)m!)!.Deserialize<Modification>(SpecBinder.Options)!).ToList();
        var expected = new List<IMessage>();
        foreach (var listed in @case["expected"]!.AsArray())
        {
            // Kuma lists each resource with its type URL, which the message itself does not hold.
            var resource = listed!.DeepClone().AsObject();
            resource.Remove("@type");
            var message = clusters ? (IMessage?)Parse<Cluster>(resource, skip) : Parse<Listener>(resource, skip);
            if (message is null) return;
            expected.Add(message);
        }
        Assert.True(skip is null, $"skipped for \"{skip}\", but every resource of the case reads here");

        var resources = new ProxyResources(start);
        // Kuma's test resources are fragments (no addresses, connection managers without routes): compared without the
        // soundness checks, which the golden cases and MeshProxyPatchTests cover.
        new Modifications(resources, n => origins.GetValueOrDefault(n), n => origins.GetValueOrDefault(n), checkResults: false).Apply(modifications);

        Assert.Empty(resources.Errors);
        var actual = resources.Result(clusters ? TypeUrls.Cluster : TypeUrls.Listener)
            .Select(r => clusters ? (IMessage)r.Payload.Unpack<Cluster>() : r.Payload.Unpack<Listener>());
        Assert.Equal(expected.Select(Json).Order(StringComparer.Ordinal), actual.Select(Json).Order(StringComparer.Ordinal));
    }

    /// <summary>The message, or null when the case is skipped for a reason this read confirms (a type this build lacks).</summary>
    private static T? Parse<T>(JsonNode? json, string? skip) where T : class, IMessage<T>, new()
    {
        var (message, error) = EnvoyJson.Parse<T>(json);
        if (error is null) return message;
        Assert.True(skip is not null && error.Contains(skip, StringComparison.Ordinal), $"cannot read {typeof(T).Name}: {error}");
        return null;
    }

    private static string Json(IMessage message) => EnvoyJson.ToNode(message).ToJsonString();
}
