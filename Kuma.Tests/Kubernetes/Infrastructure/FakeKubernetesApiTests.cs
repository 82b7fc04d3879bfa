using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Kuma.Tests.Kubernetes.Infrastructure;

/// <summary>The fake API server read and written through KubernetesClient's typed API: its JSON is what the client expects.</summary>
public sealed class FakeKubernetesApiTests
{
    private static readonly KubeResourceType Widgets = new("kuma.io/v1alpha1", "meshtimeouts", "MeshTimeout", Namespaced: true);

    [Fact]
    public async Task Secrets_are_created_read_and_replaced_and_a_second_create_conflicts()
    {
        await using var fake = await FakeKubernetesApi.StartAsync();
        using var client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = fake.BaseUri.ToString() });
        var secret = new V1Secret { Metadata = new V1ObjectMeta { Name = "kuma-dp-token-default" }, StringData = null, Data = new Dictionary<string, byte[]> { ["token"] = "first"u8.ToArray() } };

        var created = await client.CoreV1.CreateNamespacedSecretAsync(secret, "shop");
        Assert.Equal(("kuma-dp-token-default", "shop", "first"), (created.Metadata.Name, created.Metadata.NamespaceProperty, System.Text.Encoding.UTF8.GetString(created.Data["token"])));
        var conflict = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => client.CoreV1.CreateNamespacedSecretAsync(secret, "shop"));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, conflict.Response.StatusCode);

        created.Data["token"] = "second"u8.ToArray();
        await client.CoreV1.ReplaceNamespacedSecretAsync(created, "kuma-dp-token-default", "shop");
        var read = await client.CoreV1.ReadNamespacedSecretAsync("kuma-dp-token-default", "shop");
        Assert.Equal("second", System.Text.Encoding.UTF8.GetString(read.Data["token"]));
        var missing = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => client.CoreV1.ReadNamespacedSecretAsync("other", "shop"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.Response.StatusCode);
    }

    [Fact]
    public async Task Lists_carry_the_collections_resource_version_and_status_writes_change_only_the_status()
    {
        await using var fake = await FakeKubernetesApi.StartAsync([Widgets]);
        using var client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = fake.BaseUri.ToString() });
        fake.Store.Apply(KubeResourceType.Pods, JsonNode.Parse("""{"metadata":{"name":"a","namespace":"shop"},"spec":{"containers":[]}}""")!.AsObject());
        fake.Store.Apply(Widgets, JsonNode.Parse("""{"metadata":{"name":"t","namespace":"shop"},"spec":{"x":1}}""")!.AsObject());

        var pods = await client.CoreV1.ListPodForAllNamespacesAsync();
        Assert.Equal(["shop/a"], pods.Items.Select(p => $"{p.Metadata.NamespaceProperty}/{p.Metadata.Name}"));
        Assert.Equal(fake.Store.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture), pods.Metadata.ResourceVersion);

        var patch = new V1Patch("""{"status":{"conditions":[{"type":"Accepted","status":"True"}]}}""", V1Patch.PatchType.MergePatch);
        await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(patch, "kuma.io", "v1alpha1", "shop", "meshtimeouts", "t");
        var stored = fake.Store.Get(Widgets, "shop", "t")!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"x":1}"""), stored["spec"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"conditions":[{"type":"Accepted","status":"True"}]}"""), stored["status"]));
        Assert.Equal(1L, (long)stored["metadata"]!["generation"]!);
    }
}
