using System.Diagnostics;
using System.Net;
using Kuma.Grains;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace Kuma.Tests.Postgres;

/// <summary>
/// A tenant's API requests need no call to its grain per request: when the silo holding the tenant's grain
/// is killed, the surviving silo keeps answering the tenant from what it already knows.
/// </summary>
public sealed class SiloDeathRateLimitTests
{
    [Fact]
    public async Task A_tenant_whose_grain_dies_with_its_silo_is_still_served_by_the_survivor()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("ratekill");
        await using var silos = await TwoSiloCluster.StartAsync(database, "ratekill");
        var (survivor, doomed) = (silos.Survivor, silos.Doomed);

        // A tenant created through the doomed silo's API, retried under other names until its grain lives there.
        var grains = survivor.Services.GetRequiredService<IGrainFactory>();
        var here = survivor.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        var management = grains.GetGrain<IManagementGrain>(0);
        using var doomedAdmin = new HttpClient { BaseAddress = new Uri(doomed.ApiAddress) };
        string? tenant = null;
        // Placement is the cluster's choice: keep creating tenants until one's grain lives on the doomed silo.
        for (var i = 0; i < 80 && tenant is null; i++)
        {
            var name = $"far-{i}";
            var created = await doomedAdmin.PutAsync($"/tenants/{name}", ControlPlane.Json("{}"));
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
            var silo = await management.GetActivationAddress(grains.GetGrain<ITenantGrain>(GrainKeys.Tenant(name)));
            if (silo is not null && !silo.Equals(here)) tenant = name;
        }
        Assert.NotNull(tenant);
        var token = await survivor.IssueTokenAsync(tenant);
        using var client = survivor.NewClient(token);
        client.Timeout = TimeSpan.FromSeconds(10);
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/meshes")).StatusCode); // the survivor knows the tenant

        doomed.Child.Signal("KILL");
        await doomed.Child.ExitAsync();

        var failures = new List<string>();
        var sent = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            var started = clock.Elapsed;
            sent++;
            try
            {
                var response = await client.GetAsync("/meshes");
                var took = clock.Elapsed - started;
                if (response.StatusCode != HttpStatusCode.OK)
                    failures.Add($"{started.TotalMilliseconds:F0} ms: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                else if (took > TimeSpan.FromSeconds(2))
                    failures.Add($"{started.TotalMilliseconds:F0} ms: 200 after {took.TotalMilliseconds:F0} ms");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                failures.Add($"{started.TotalMilliseconds:F0} ms: {e.GetType().Name} {e.Message}");
            }
            await Task.Delay(20);
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} requests failed after the kill:\n{string.Join('\n', failures.Take(10))}");
    }
}
