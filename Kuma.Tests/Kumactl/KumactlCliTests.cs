using System.CommandLine;
using System.Net;
using Kuma.Kumactl;
using Kuma.Kumactl.Client;
using Kuma.Kumactl.Commands;

namespace Kuma.Tests.Kumactl;

/// <summary>What kumactl says without a control plane: help with examples, completion, and readable API errors.</summary>
public sealed class KumactlCliTests
{
    private static IEnumerable<(string Path, Command Command)> Walk(Command command, string path)
    {
        yield return (path, command);
        foreach (var sub in command.Subcommands)
        {
            foreach (var inner in Walk(sub, $"{path} {sub.Name}")) yield return inner;
        }
    }

    [Fact]
    public async Task Every_command_has_help_with_examples_or_lists_its_subcommands()
    {
        var root = new Cli(new KumactlEnvironment { Out = TextWriter.Null, Err = TextWriter.Null }).BuildRoot();
        var missing = new List<string>();
        using var session = new KumactlSession();
        foreach (var (path, command) in Walk(root, "kumactl"))
        {
            var help = await session.RunAsync([.. path.Split(' ').Skip(1), "--help"]);
            Assert.Equal(0, help.ExitCode);
            var groupOfCommands = command.Subcommands.Count > 0 && help.Out.Contains("Commands:", StringComparison.Ordinal);
            if (!groupOfCommands && !help.Out.Contains("Examples:", StringComparison.Ordinal)) missing.Add(path);
        }
        Assert.Empty(missing);
    }

    [Fact]
    public async Task Completion_scripts_ask_kumactl_and_kumactl_suggests_types_and_flags()
    {
        using var session = new KumactlSession();
        var bash = await session.RunAsync("completion", "bash");
        Assert.Equal(0, bash.ExitCode);
        Assert.Contains("complete -o default -F _kumactl_complete kumactl", bash.Out, StringComparison.Ordinal);
        Assert.Contains("compdef _kumactl kumactl", (await session.RunAsync("completion", "zsh")).Out, StringComparison.Ordinal);

        var line = "kumactl get meshtraf";
        var suggestions = await session.RunAsync($"[suggest:{line.Length}]", line);
        Assert.Equal(new KumactlResult(0, "meshtrafficpermission\nmeshtrafficpermissions\n", ""), suggestions);
        line = "kumactl delete ";
        var types = (await session.RunAsync($"[suggest:{line.Length}]", line)).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("meshtimeout", types);
        Assert.Contains("global-secret", types);
    }

    [Fact]
    public void Api_errors_read_as_their_fields_and_reasons()
    {
        const string invalid = """
            {"type":"/std-errors","status":400,"title":"Could not process a resource","detail":"Resource is not valid",
             "invalid_parameters":[{"field":"spec.to[0].targetRef.kind","reason":"value is not supported"},{"field":"name","reason":"cannot be empty"}],
             "details":"Resource is not valid","causes":[{"field":"spec.to[0].targetRef.kind","message":"value is not supported"},{"field":"name","message":"cannot be empty"}]}
            """;
        Assert.Equal("Resource is not valid\n* spec.to[0].targetRef.kind: value is not supported\n* name: cannot be empty",
            ApiProblem.Describe(HttpStatusCode.BadRequest, invalid));
        // Kuma's older shape, with causes only.
        Assert.Equal("Resource is not valid\n* mesh: cannot be empty",
            ApiProblem.Describe(HttpStatusCode.BadRequest, """{"title":"Could not process a resource","details":"Resource is not valid","causes":[{"field":"mesh","message":"cannot be empty"}]}"""));
        Assert.Equal("the control plane answered 502 BadGateway: upstream down", ApiProblem.Describe(HttpStatusCode.BadGateway, "upstream down\n"));
    }

    [Fact]
    public async Task Warnings_in_the_answer_to_a_write_are_printed_after_its_line()
    {
        var requests = new List<string>();
        using var session = new KumactlSession
        {
            Handler = () => new Answering(request =>
            {
                requests.Add($"{request.Method} {request.RequestUri}");
                return new HttpResponseMessage(HttpStatusCode.Created)
                {
                    Content = new StringContent("""{"warnings":["'skipCreatingInitialPolicies' is deprecated"]}"""),
                };
            }),
        };
        Assert.Equal(0, (await session.RunAsync("config", "control-planes", "add", "--name", "stub", "--address", "http://stub.invalid:5681", "--skip-check")).ExitCode);
        var file = session.WriteFile("mesh.yaml", "type: Mesh\nname: demo\n");
        Assert.Equal(new KumactlResult(0, "resource type=\"Mesh\" mesh=\"\" name=\"demo\" Created\n", "Warning: 'skipCreatingInitialPolicies' is deprecated\n"),
            await session.RunAsync("apply", "-f", file));
        Assert.Equal(["PUT http://stub.invalid:5681/meshes/demo"], requests);
    }

    private sealed class Answering(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(answer(request));
    }
}
