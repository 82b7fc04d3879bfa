using System.CommandLine;

namespace Kuma.Kumactl.Commands;

/// <summary>
/// <c>kumactl completion bash|zsh</c>: a script for the shell that asks kumactl itself for completions through
/// System.CommandLine's <c>[suggest]</c> directive, so completion always knows every command, type and flag.
/// </summary>
public static class CompletionCommand
{
    private const string Bash = """
        # kumactl completion for bash: source <(kumactl completion bash)
        _kumactl_complete() {
          local IFS=$'\n'
          local candidates
          candidates=$(kumactl "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)
          COMPREPLY=( $(compgen -W "${candidates}" -- "${COMP_WORDS[COMP_CWORD]}") )
        }
        complete -o default -F _kumactl_complete kumactl

        """;

    private const string Zsh = """
        #compdef kumactl
        # kumactl completion for zsh: source <(kumactl completion zsh)
        _kumactl() {
          local -a candidates
          candidates=("${(@f)$(kumactl "[suggest:${#BUFFER}]" "${BUFFER}" 2>/dev/null)}")
          _describe 'kumactl' candidates
        }
        compdef _kumactl kumactl

        """;

    public static Command Build(Cli cli)
    {
        var shell = new Argument<string>("SHELL") { Description = "bash or zsh" };
        shell.AcceptOnlyFromAmong("bash", "zsh");
        var command = new Command("completion", """
            Output shell completion code for bash or zsh.

            Examples:
              Load completion in the current bash session
              $ source <(kumactl completion bash)

              Load completion for every zsh session
              $ kumactl completion zsh > "${fpath[1]}/_kumactl"
            """)
        {
            shell,
        };
        command.SetAction(p => cli.Env.Out.Write(p.GetValue(shell) == "zsh" ? Zsh : Bash));
        return command;
    }
}
