using System.Net.Http.Headers;
using System.Net.Http.Json;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Xds;

namespace Kuma.Tests.Observability;

/// <summary>A tenant with mesh m1 and one dataplane on a control plane reached over HTTP (loopback is admin), and a proxy for it.</summary>
public static class ProcessTenant
{
    private static readonly string[] AdminGroups = ["mesh-system:admin"];

    public static async Task<HttpClient> CreateAsync(string apiAddress, string tenant)
    {
        using var admin = new HttpClient { BaseAddress = new Uri(apiAddress) };
        (await admin.PutAsync($"/tenants/{tenant}", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        var issued = await admin.PostAsJsonAsync("/tokens/user", new { name = $"user-of-{tenant}", tenant, validFor = "1h", groups = AdminGroups });
        var token = await issued.Content.ReadAsStringAsync();
        Assert.True(issued.IsSuccessStatusCode, token);
        var client = new HttpClient { BaseAddress = new Uri(apiAddress) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static async Task PutMeshAndDataplaneAsync(HttpClient tenant, string dataplane)
    {
        Assert.Equal(System.Net.HttpStatusCode.Created, (await tenant.PutAsync("/meshes/m1", ControlPlane.Json("{}"))).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Created,
            (await tenant.PutAsync($"/meshes/m1/dataplanes/{dataplane}", ControlPlane.Json(Samples.Dataplane("m1", dataplane, "backend", "10.0.0.1", 9001)))).StatusCode);
    }

    public static async Task<AdsClient> ConnectAsync(string dpAddress, HttpClient tenant, string dataplane) =>
        new(dpAddress, $"m1.{dataplane}", await ControlPlane.DataplaneTokenAsync(tenant, "m1", dataplane));
}
