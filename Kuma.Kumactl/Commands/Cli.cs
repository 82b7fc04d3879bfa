using System.CommandLine;
using Kuma.Kumactl.Client;
using Kuma.Kumactl.Config;
using Kuma.Validation;

namespace Kuma.Kumactl.Commands;

/// <summary>What every command shares: the environment, the root's options, the config file and a client of the active control plane.</summary>
public sealed class Cli(KumactlEnvironment env)
{
    public KumactlEnvironment Env { get; } = env;

    public Option<string?> ConfigFileOption { get; } = new("--config-file")
    {
        Description = "path to the configuration file to use (default: ~/.kumactl/config)",
        Recursive = true,
    };

    public Option<TimeSpan> ApiTimeoutOption { get; } = new("--api-timeout")
    {
        Description = "the timeout for requests to the Control Plane API Server, e.g. 30s",
        Recursive = true,
        DefaultValueFactory = _ => TimeSpan.FromMinutes(1),
        CustomParser = r => Durations.TryParse(r.Tokens.Single().Value, out var value) && value > TimeSpan.Zero
            ? value
            : Fail<TimeSpan>(r, $"--api-timeout: {Durations.InvalidMessage}"),
    };

    public RootCommand BuildRoot()
    {
        var root = new RootCommand("""
            Management tool for a Kuma-compatible, multi-tenant control plane: the same commands, flags and files as Kuma's kumactl.

            Examples:
              kumactl config control-planes add --name prod --address https://cp.example.com:5682 --auth-type=tokens --auth-conf token=$TOKEN
              kumactl apply -f mesh.yaml
              kumactl get dataplanes --mesh demo
            """);
        root.Options.Add(ConfigFileOption);
        root.Options.Add(ApiTimeoutOption);
        root.Subcommands.Add(ConfigCommands.Build(this));
        root.Subcommands.Add(ApplyCommand.Build(this));
        root.Subcommands.Add(GetCommands.Build(this));
        root.Subcommands.Add(DeleteCommand.Build(this));
        root.Subcommands.Add(InspectCommands.Build(this));
        root.Subcommands.Add(GenerateCommands.Build(this));
        root.Subcommands.Add(InstallCommands.Build(this));
        root.Subcommands.Add(CompletionCommand.Build(this));
        HelpExamples.Install(root);
        return root;
    }

    public static Option<string> MeshOption() => new("--mesh", "-m") { Description = "mesh to use", DefaultValueFactory = _ => "default" };

    public string ConfigPath(ParseResult parse) => parse.GetValue(ConfigFileOption) is { Length: > 0 } path ? path : Env.DefaultConfigFile;

    public KumactlConfig LoadConfig(ParseResult parse) => ConfigFile.Load(ConfigPath(parse));

    public void SaveConfig(ParseResult parse, KumactlConfig config) => ConfigFile.Save(ConfigPath(parse), config);

    /// <summary>A client of the active control plane, with its address, TLS settings and credentials from the config file.</summary>
    public KumaApiClient Client(ParseResult parse)
    {
        var config = LoadConfig(parse);
        var controlPlane = config.CurrentControlPlane
            ?? throw new KumactlException("there is no active Control Plane. Use `kumactl config control-planes add` to add one and make it active");
        return KumaApiClient.For(controlPlane.ApiServer, Env, parse.GetValue(ApiTimeoutOption));
    }

    public static T Fail<T>(System.CommandLine.Parsing.ArgumentResult result, string message)
    {
        result.AddError(message);
        return default!;
    }
}
