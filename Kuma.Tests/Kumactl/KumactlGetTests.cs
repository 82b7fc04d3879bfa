using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Kuma.Kumactl.Resources;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Kumactl;

/// <summary>One tenant with a mesh holding one resource of each sampled type, shared by the get tests.</summary>
public sealed class KumactlGetFixture : IAsyncLifetime
{
    public const string Mesh = "demo";
    public ControlPlane ControlPlane { get; private set; } = null!;
    public string Token { get; private set; } = "";

    public async Task InitializeAsync()
    {
        ControlPlane = await ControlPlane.StartAsync();
        Token = await ControlPlane.CreateTenantAsync("kctl-get");
        using var api = ControlPlane.NewClient(Token);
        // No default policies: the goldens show what the test put there.
        (await api.PutAsync($"/meshes/{Mesh}", ControlPlane.Json("""{"type":"Mesh","name":"demo","skipCreatingInitialPolicies":["*"]}"""))).EnsureSuccessStatusCode();
        (await api.PutAsync("/meshes/paged", ControlPlane.Json("""{"skipCreatingInitialPolicies":["*"]}"""))).EnsureSuccessStatusCode();
        foreach (var sample in Samples.All)
        {
            var name = sample.Type == "Mesh" ? "mtls-mesh" : $"{sample.Type.ToLowerInvariant()}-1";
            (await api.PutAsync(Samples.PathOf(sample, Mesh, name), ControlPlane.Json(sample.Body(Mesh, name)))).EnsureSuccessStatusCode();
        }
        (await api.PutAsync($"/meshes/{Mesh}/dataplanes/gateway-1", ControlPlane.Json(Samples.Dataplane(Mesh, "gateway-1", "edge", "10.0.0.7", 9000)))).EnsureSuccessStatusCode();
        for (var i = 0; i < 7; i++)
            (await api.PutAsync($"/meshes/paged/dataplanes/dp-{i}", ControlPlane.Json(Samples.Dataplane("paged", $"dp-{i}")))).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync() => await ControlPlane.DisposeAsync();
}

/// <summary>
/// <c>kumactl get</c> output for every type compared with golden files (Kuma's columns); regenerate them with
/// <c>KUMA_UPDATE_GOLDEN=1 dotnet test Kuma.Tests --no-build --filter KumactlGetTests</c> and review each by eye.
/// </summary>
public sealed partial class KumactlGetTests(KumactlGetFixture fixture) : IClassFixture<KumactlGetFixture>
{
    private static string GoldenDirectory => Path.Combine(NodeProcess.RepositoryRoot(), "Kuma.Tests", "Kumactl", "testdata");

    public static TheoryData<string> Plurals() => [.. KumactlTypes.All.Where(t => t.Name != "Tenant").Select(t => t.Plural)];

    /// <summary>Every resource was written within the last minutes: three hours on, each is "3h" old.</summary>
    private async Task<KumactlSession> SessionAsync()
    {
        var session = await KumactlSession.ConnectAsync(fixture.ControlPlane, fixture.Token);
        session.Clock.SetUtcNow(DateTimeOffset.UtcNow + TimeSpan.FromHours(3));
        return session;
    }

    [Theory]
    [MemberData(nameof(Plurals))]
    public async Task Table_of_each_type_matches_its_golden(string plural)
    {
        using var session = await SessionAsync();
        var result = await session.RunAsync("get", plural, "--mesh", KumactlGetFixture.Mesh);
        Assert.Equal("", result.Err);
        Assert.Equal(0, result.ExitCode);
        AssertGolden($"get-{plural}.golden.txt", result.Out);
    }

    [Theory]
    [InlineData("meshes", "yaml")]
    [InlineData("meshes", "json")]
    [InlineData("dataplanes", "yaml")]
    [InlineData("dataplanes", "json")]
    [InlineData("meshtimeouts", "yaml")]
    [InlineData("meshtimeouts", "json")]
    public async Task Yaml_and_json_lists_match_their_goldens(string plural, string format)
    {
        using var session = await SessionAsync();
        var result = await session.RunAsync("get", plural, "--mesh", KumactlGetFixture.Mesh, "-o", format);
        Assert.Equal("", result.Err);
        AssertGolden($"get-{plural}.golden.{format}", Timestamps().Replace(result.Out, "0001-01-01T00:00:00Z"));
    }

    [Theory]
    [InlineData("mesh", "mtls-mesh", "table", "txt")]
    [InlineData("dataplane", "dataplane-1", "yaml", "yaml")]
    [InlineData("meshtrafficpermission", "meshtrafficpermission-1", "yaml", "yaml")]
    [InlineData("global-secret", "globalsecret-1", "json", "json")]
    public async Task A_single_resource_matches_its_golden(string singular, string name, string format, string extension)
    {
        using var session = await SessionAsync();
        var result = await session.RunAsync("get", singular, name, "--mesh", KumactlGetFixture.Mesh, "-o", format);
        Assert.Equal("", result.Err);
        AssertGolden($"get-{singular}.golden.{extension}", Timestamps().Replace(result.Out, "0001-01-01T00:00:00Z"));
        // The plural form with a name shows the same.
        var plural = KumactlTypes.BySingular(singular)!.Plural;
        Assert.Equal(result, await session.RunAsync("get", plural, name, "--mesh", KumactlGetFixture.Mesh, "-o", format));
    }

    [Theory]
    [InlineData("json")]
    [InlineData("yaml")]
    [InlineData("table")]
    public async Task Lists_longer_than_a_page_are_read_to_the_end(string format)
    {
        using var session = await SessionAsync();
        var result = await session.RunAsync("get", "dataplanes", "--mesh", "paged", "--size", "2", "-o", format);
        Assert.Equal(0, result.ExitCode);
        var names = Enumerable.Range(0, 7).Select(i => $"dp-{i}").ToArray();
        switch (format)
        {
            case "json":
                var list = JsonNode.Parse(result.Out)!;
                Assert.Equal(7, list["total"]!.GetValue<int>());
                Assert.Equal(names, list["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()));
                Assert.Null(list["next"]);
                break;
            case "yaml":
                Assert.Equal(names, result.Out.Split('\n').Where(l => l.StartsWith("  name: ", StringComparison.Ordinal)).Select(l => l["  name: ".Length..]));
                Assert.EndsWith("next: null\ntotal: 7\n", result.Out, StringComparison.Ordinal);
                break;
            default:
                Assert.Equal(
                    ["MESH    NAME   TAGS                                        ADDRESS    AGE", .. names.Select(n => $"paged   {n}   kuma.io/protocol=http kuma.io/service=web   10.0.0.1   3h")],
                    result.Out.TrimEnd('\n').Split('\n'));
                break;
        }
    }

    [Fact]
    public async Task Missing_resources_and_bad_flags_fail_with_a_message()
    {
        using var session = await SessionAsync();
        Assert.Equal(new KumactlResult(1, "", "Error: No resources found in demo mesh\n"), await session.RunAsync("get", "dataplane", "nope", "--mesh", "demo"));
        Assert.Equal(new KumactlResult(1, "", "Error: No resources found\n"), await session.RunAsync("get", "mesh", "nope"));
        Assert.Equal(new KumactlResult(1, "", "Error: failed to list Dataplane: Failed to retrieve Mesh: Not found\n"), await session.RunAsync("get", "dataplanes", "--mesh", "nope"));
        var unknownType = await session.RunAsync("get", "widgets");
        Assert.Equal(1, unknownType.ExitCode);
        Assert.Contains("widgets", unknownType.Err, StringComparison.Ordinal);
        var badFormat = await session.RunAsync("get", "meshes", "-o", "xml");
        Assert.Equal(1, badFormat.ExitCode);
        Assert.Contains("xml", badFormat.Err, StringComparison.Ordinal);
    }

    private static void AssertGolden(string name, string actual)
    {
        var path = Path.Combine(GoldenDirectory, name);
        if (Environment.GetEnvironmentVariable("KUMA_UPDATE_GOLDEN") == "1") File.WriteAllText(path, actual);
        Assert.True(File.Exists(path), $"no golden file {path}: run with KUMA_UPDATE_GOLDEN=1 to create it");
        Assert.Equal(File.ReadAllText(path), actual);
    }

    [GeneratedRegex(@"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")]
    private static partial Regex Timestamps();
}
