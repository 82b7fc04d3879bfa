using System.Net;
using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Kubernetes.Sync;

/// <summary>What the control plane holds, read with the tenant's token, and waits on it with deadlines.</summary>
internal static class AgentApi
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>Every Dataplane of a mesh by name, without the server's timestamps.</summary>
    public static async Task<SortedDictionary<string, JsonObject>> DataplanesAsync(HttpClient tenant, string mesh = "default")
    {
        var page = JsonNode.Parse(await tenant.GetStringAsync($"/meshes/{mesh}/dataplanes?size=1000"))!;
        var result = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var item in page["items"]!.AsArray())
        {
            var dp = item!.AsObject().DeepClone().AsObject();
            dp.Remove("creationTime");
            dp.Remove("modificationTime");
            dp.Remove("kri");
            result[(string)dp["name"]!] = dp;
        }
        return result;
    }

    public static async Task<JsonObject?> GetAsync(HttpClient tenant, string path)
    {
        var response = await tenant.GetAsync(path);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    /// <summary>Waits until the mesh's Dataplanes are exactly <paramref name="expected"/> (name to networking JSON).</summary>
    public static async Task WaitForNetworkingAsync(HttpClient tenant, Dictionary<string, string> expected, string what)
    {
        var last = "";
        try
        {
            await Eventually.HoldsAsync(async () =>
            {
                var actual = await DataplanesAsync(tenant);
                last = string.Join("\n", actual.Select(p => $"{p.Key}: {p.Value["networking"]?.ToJsonString()}"));
                return actual.Keys.SequenceEqual(expected.Keys.Order(StringComparer.Ordinal))
                    && expected.All(p => JsonNode.DeepEquals(actual[p.Key]["networking"], JsonNode.Parse(p.Value)));
            }, Deadline, what);
        }
        catch (Xunit.Sdk.XunitException)
        {
            Assert.Fail($"{what}; the API holds:\n{last}");
        }
    }

    public static async Task<HttpClient> TenantAsync(ControlPlane cp, string tenant)
    {
        var client = cp.NewClient(await cp.CreateTenantAsync(tenant));
        var mesh = await client.PutAsync("/meshes/default", ControlPlane.Json("""{"type":"Mesh","name":"default"}"""));
        Assert.True(mesh.IsSuccessStatusCode, await mesh.Content.ReadAsStringAsync());
        return client;
    }
}
