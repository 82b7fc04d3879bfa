using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Kuma.Configuration;
using Kuma.Silo;
using Kuma.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Kuma.Tests.Infrastructure;

/// <summary>One running control plane (silo + API) on free ports, and an HTTP client pointed at it.</summary>
public sealed class ControlPlane : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ControlPlane(WebApplication app, int apiPort, int dpPort, KumaSettings settings)
    {
        _app = app;
        ApiPort = apiPort;
        DpPort = dpPort;
        Settings = settings;
        Client = NewClient();
    }

    public int ApiPort { get; }
    public int DpPort { get; }
    public KumaSettings Settings { get; }
    public HttpClient Client { get; }
    public IServiceProvider Services => _app.Services;

    public static async Task<ControlPlane> StartAsync(string? postgresConnectionString = null, IDictionary<string, string>? extra = null, Action<IServiceCollection>? configureServices = null)
    {
        var apiPort = FreePort.Next();
        var dpPort = FreePort.Next();
        var values = new Dictionary<string, string>
        {
            ["KUMA_API_SERVER_HTTP_PORT"] = apiPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["KUMA_DP_SERVER_PORT"] = dpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["KUMA_DIAGNOSTICS_SERVER_PORT"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["KUMA_API_SERVER_HTTPS_PORT"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["KUMA_DP_SERVER_INTERFACE"] = "127.0.0.1",
            ["KUMA_CLUSTER_SILO_PORT"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["KUMA_CLUSTER_GATEWAY_PORT"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["KUMA_CLUSTER_ID"] = "test",
            ["KUMA_STORE_TYPE"] = postgresConnectionString is null ? "memory" : "postgres",
        };
        if (postgresConnectionString is not null) values["KUMA_STORE_POSTGRES_CONNECTION_STRING"] = postgresConnectionString;
        foreach (var (k, v) in extra ?? new Dictionary<string, string>()) values[k] = v;
        var settings = new KumaSettings(values);
        var app = await ControlPlaneHost.StartAsync(settings, [], configureServices);
        return new ControlPlane(app, apiPort, dpPort, settings);
    }

    public HttpClient NewClient(string? token = null)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ApiPort}") };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task<string> CreateTenantAsync(string name, string body = "{}")
    {
        var response = await Client.PutAsync($"/tenants/{name}", Json(body));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await IssueTokenAsync(name);
    }

    /// <summary>A token of <paramref name="tenant"/>; by default of its admin group, which may read its secrets and issue its tokens.</summary>
    public async Task<string> IssueTokenAsync(string tenant, string validFor = "1h", string? name = null, string[]? groups = null)
    {
        var response = await Client.PostAsJsonAsync("/tokens/user", new { name = name ?? $"user-of-{tenant}", tenant, validFor, groups = groups ?? ["mesh-system:admin"] });
        var token = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, token);
        return token;
    }

    /// <summary>Issues a dataplane token in <paramref name="tenantClient"/>'s tenant.</summary>
    public static async Task<string> DataplaneTokenAsync(HttpClient tenantClient, string mesh, string name, string validFor = "1h")
    {
        var response = await tenantClient.PostAsJsonAsync("/tokens/dataplane", new { name, mesh, validFor });
        var token = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, token);
        return token;
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static StringContent Yaml(string yaml) => new(yaml, Encoding.UTF8, "application/yaml");

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
