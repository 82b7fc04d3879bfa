using Kuma.Testing;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Kumactl;

/// <summary><c>kumactl config</c>: the file in Kuma's layout, and <c>add</c> checking that the control plane answers.</summary>
public sealed class KumactlConfigTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>
{
    private ControlPlane Cp => fixture.ControlPlane;

    [Fact]
    public async Task Control_planes_are_added_listed_switched_and_removed_in_kumas_file_layout()
    {
        using var session = new KumactlSession();
        var address = $"http://127.0.0.1:{Cp.ApiPort}";
        Assert.Equal(new KumactlResult(0, $"added Control Plane \"one\"\nswitched active Control Plane to \"one\"\n", ""),
            await session.RunAsync("config", "control-planes", "add", "--name", "one", "--address", address));
        Assert.Equal(new KumactlResult(0, $"added Control Plane \"two\"\nswitched active Control Plane to \"two\"\n", ""),
            await session.RunAsync("config", "control-planes", "add", "--name", "two", "--address", address + "/", "--auth-type=tokens", "--auth-conf", "token=abc", "--skip-verify"));

        var file = $"""
            contexts:
            - controlPlane: local
              name: local
            - controlPlane: one
              name: one
            - controlPlane: two
              name: two
            controlPlanes:
            - coordinates:
                apiServer:
                  url: http://localhost:5681
              name: local
            - coordinates:
                apiServer:
                  url: {address}
              name: one
            - coordinates:
                apiServer:
                  authConf:
                    token: abc
                  authType: tokens
                  skipVerify: true
                  url: {address}/
              name: two
            currentContext: two

            """;
        Assert.Equal(file, await File.ReadAllTextAsync(session.ConfigFile));
        Assert.Equal(new KumactlResult(0, file, ""), await session.RunAsync("config", "view"));
        Assert.Equal(new KumactlResult(0, $"ACTIVE   NAME    ADDRESS\n         local   http://localhost:5681\n         one     {address}\n*        two     {address}/\n", ""),
            await session.RunAsync("config", "control-planes", "list"));

        Assert.Equal(new KumactlResult(1, "", "Error: Control Plane with name \"one\" already exists. Use --overwrite to replace an existing one.\n"),
            await session.RunAsync("config", "control-planes", "add", "--name", "one", "--address", address));
        Assert.Equal(new KumactlResult(0, "switched active Control Plane to \"one\"\n", ""), await session.RunAsync("config", "control-planes", "switch", "--name", "one"));
        Assert.Equal(new KumactlResult(1, "", "Error: there is no Control Plane with name \"three\"\n"), await session.RunAsync("config", "control-planes", "switch", "--name", "three"));
        Assert.Equal(new KumactlResult(0, "removed Control Plane \"one\"\nswitched active Control Plane to \"local\"\n", ""),
            await session.RunAsync("config", "control-planes", "remove", "--name", "one"));
        Assert.Equal(new KumactlResult(0, "removed Control Plane \"local\"\nswitched active Control Plane to \"two\"\n", ""),
            await session.RunAsync("config", "control-planes", "remove", "--name", "local"));
        Assert.Equal(new KumactlResult(0, "removed Control Plane \"two\"\nthere is no active Control Plane left. Use `kumactl config control-planes add` to add a Control Plane and make it active\n", ""),
            await session.RunAsync("config", "control-planes", "remove", "--name", "two"));
        Assert.Equal("{}\n", await File.ReadAllTextAsync(session.ConfigFile));
        Assert.Equal(new KumactlResult(1, "", "Error: there is no active Control Plane. Use `kumactl config control-planes add` to add one and make it active\n"),
            await session.RunAsync("get", "meshes"));
    }

    [Fact]
    public async Task Without_a_config_file_kumactl_uses_the_local_control_plane_as_kuma_does()
    {
        using var session = new KumactlSession();
        Assert.Equal(new KumactlResult(0, "ACTIVE   NAME    ADDRESS\n*        local   http://localhost:5681\n", ""), await session.RunAsync("config", "control-planes", "list"));
        Assert.False(File.Exists(session.ConfigFile));
    }

    [Fact]
    public async Task Kumas_snake_case_config_file_is_read()
    {
        using var session = new KumactlSession();
        session.WriteFile("config", """
            control_planes:
            - name: test1
              coordinates:
                api_server:
                  url: https://test1.internal:5681
            - name: test2
              coordinates:
                api_server:
                  url: https://test2.internal:5681
            contexts:
            - name: test1
              control_plane: test1
              defaults:
                mesh: demo
            - name: test2
              control_plane: test2
              defaults:
                mesh: default
            current_context: test1
            """);
        Assert.Equal(new KumactlResult(0, "ACTIVE   NAME    ADDRESS\n*        test1   https://test1.internal:5681\n         test2   https://test2.internal:5681\n", ""),
            await session.RunAsync("config", "control-planes", "list"));
        Assert.Equal(new KumactlResult(0, """
            contexts:
            - controlPlane: test1
              defaults:
                mesh: demo
              name: test1
            - controlPlane: test2
              defaults:
                mesh: default
              name: test2
            controlPlanes:
            - coordinates:
                apiServer:
                  url: https://test1.internal:5681
              name: test1
            - coordinates:
                apiServer:
                  url: https://test2.internal:5681
              name: test2
            currentContext: test1

            """, ""), await session.RunAsync("config", "view"));
    }

    [Fact]
    public async Task Add_refuses_an_unreachable_control_plane_and_bad_flags_and_saves_nothing()
    {
        using var session = new KumactlSession();
        var closed = FreePort.Next();
        var unreachable = await session.RunAsync("config", "control-planes", "add", "--name", "gone", "--address", $"http://127.0.0.1:{closed}");
        Assert.Equal(new KumactlResult(1, "", $"Error: could not add Control Plane \"gone\": could not connect to the Control Plane API Server at http://127.0.0.1:{closed}/: Connection refused\n"), unreachable);
        Assert.Equal(new KumactlResult(1, "", "Error: --auth-conf is not valid: provide token=YOUR_TOKEN\n"),
            await session.RunAsync("config", "control-planes", "add", "--name", "x", "--address", "http://127.0.0.1:1", "--auth-type=tokens"));
        Assert.Equal(new KumactlResult(1, "", "Error: authentication plugin of type \"magic\" is not found\n"),
            await session.RunAsync("config", "control-planes", "add", "--name", "x", "--address", "http://127.0.0.1:1", "--auth-type=magic"));
        Assert.Equal(new KumactlResult(1, "", "Error: API Server URL is invalid: not-a-url\n"),
            await session.RunAsync("config", "control-planes", "add", "--name", "x", "--address", "not-a-url"));
        Assert.False(File.Exists(session.ConfigFile));

        // --skip-check saves it; then every call says clearly that the control plane cannot be reached.
        Assert.Equal(0, (await session.RunAsync("config", "control-planes", "add", "--name", "gone", "--address", $"http://127.0.0.1:{closed}", "--skip-check")).ExitCode);
        Assert.Equal(new KumactlResult(1, "", $"Error: failed to list Mesh: could not connect to the Control Plane API Server at http://127.0.0.1:{closed}/: Connection refused\n"),
            await session.RunAsync("get", "meshes"));
    }
}
