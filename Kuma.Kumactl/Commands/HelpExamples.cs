using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;

namespace Kuma.Kumactl.Commands;

/// <summary>
/// Commands write their examples after an "Examples:" line in their description; help shows the first part as the
/// description (also in the parent's command list) and the examples in a section of their own.
/// </summary>
public static class HelpExamples
{
    private const string Marker = "\n\nExamples:\n";
    private static readonly ConditionalWeakTable<Command, string> Examples = [];

    public static void Install(RootCommand root)
    {
        foreach (var command in Walk(root))
        {
            var description = (command.Description ?? "").ReplaceLineEndings("\n");
            var at = description.IndexOf(Marker, StringComparison.Ordinal);
            if (at < 0) continue;
            command.Description = description[..at];
            Examples.AddOrUpdate(command, description[(at + Marker.Length)..].TrimEnd());
        }
        foreach (var help in root.Options.OfType<HelpOption>())
        {
            if (help.Action is { } standard) help.Action = new WithExamples(standard);
        }
    }

    /// <summary>The standard help, then the examples of the command it was asked for.</summary>
    private sealed class WithExamples(CommandLineAction standard) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var code = standard is SynchronousCommandLineAction sync ? sync.Invoke(parseResult) : 0;
            if (Examples.TryGetValue(parseResult.CommandResult.Command, out var examples))
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine("Examples:");
                foreach (var line in examples.Split('\n')) output.WriteLine(line);
                output.WriteLine();
            }
            return code;
        }
    }

    private static IEnumerable<Command> Walk(Command command) => command.Subcommands.SelectMany(Walk).Prepend(command);
}
