using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Kubernetes.Injection;

/// <summary>Pods read from the test data, and both sides of a comparison put through KubernetesClient's V1Pod model, so
/// spelling differences (YAML vs JSON, quantity forms, "status: {}") do not count as differences.</summary>
internal static class PodDocuments
{
    public static string TestData(params string[] parts) =>
        Path.Combine([NodeProcess.RepositoryRoot(), "Kuma.Tests", "Kubernetes", "Injection", "testdata", .. parts]);

    public static JsonObject FromYamlFile(params string[] parts) => Normalized(KubernetesYaml.Deserialize<V1Pod>(File.ReadAllText(TestData(parts))));

    public static JsonObject Normalized(JsonObject pod) => Normalized(KubernetesJson.Deserialize<V1Pod>(pod.ToJsonString()));

    private static JsonObject Normalized(V1Pod pod)
    {
        var json = JsonNode.Parse(KubernetesJson.Serialize(pod))!.AsObject();
        if (json["status"] is JsonObject { Count: 0 }) json.Remove("status");
        // Go's marshalling of Kuma's goldens writes "resources: {}" on every container; absent means the same to Kubernetes.
        foreach (var field in new[] { "containers", "initContainers" })
        {
            foreach (var container in (json["spec"]?[field] as JsonArray ?? []).OfType<JsonObject>())
                if (container["resources"] is JsonObject { Count: 0 }) container.Remove("resources");
        }
        return json;
    }

    /// <summary>Compares with a golden JSON file of ours; KUMA_UPDATE_GOLDEN=1 rewrites it (review the diff).</summary>
    public static void AssertGolden(JsonObject actual, string fileName)
    {
        var path = TestData("ours", fileName);
        var text = actual.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
        if (Environment.GetEnvironmentVariable("KUMA_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
        }
        Assert.True(File.Exists(path), $"no golden file {path}: run with KUMA_UPDATE_GOLDEN=1 to create it");
        Assert.Equal(JsonDifferences.Between(JsonNode.Parse(File.ReadAllText(path)), actual), []);
        Assert.Equal(File.ReadAllText(path), text);
    }
}
