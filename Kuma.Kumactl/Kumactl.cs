using System.CommandLine;
using Kuma.Kumactl.Commands;

namespace Kuma.Kumactl;

/// <summary>The kumactl program: parses the arguments, runs one command and answers its exit code.</summary>
public static class Kumactl
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, KumactlEnvironment env, CancellationToken ct = default)
    {
        var cli = new Cli(env);
        var parsed = cli.BuildRoot().Parse(args);
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = env.Out, Error = env.Err, EnableDefaultExceptionHandler = false }, ct);
        }
        catch (KumactlException e)
        {
            await env.Err.WriteLineAsync($"Error: {e.Message}");
            return 1;
        }
    }
}
