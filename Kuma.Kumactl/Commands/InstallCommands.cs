using System.CommandLine;
using Kuma.Kumactl.Install;
using Kuma.Policies;

namespace Kuma.Kumactl.Commands;

/// <summary>
/// <c>kumactl install crds</c>: Kuma's command, printing the CRDs of this control plane's resource types (no control
/// plane needed). With <c>--output-dir</c> it writes one file per CRD plus their kustomization instead, which is how
/// k8s/crds is made (scripts/generate-crds.sh).
/// </summary>
public static class InstallCommands
{
    public static Command Build(Cli cli)
    {
        var install = new Command("install", "Install various Kuma components.");
        install.Subcommands.Add(Crds(cli));
        return install;
    }

    private static Command Crds(Cli cli)
    {
        var outputDir = new Option<string?>("--output-dir") { Description = "write one file per CRD and a kustomization.yaml into this directory instead of printing them" };
        var command = new Command("crds", """
            Install Kuma Custom Resource Definitions on Kubernetes

            Examples:
              $ kumactl install crds | kubectl apply -f -
              $ kumactl install crds --output-dir k8s/crds
            """)
        {
            outputDir,
        };
        command.SetAction(p =>
        {
            var types = CustomResourceDefinitions.TypesOf(PolicyTypes.Catalog).ToList();
            if (p.GetValue(outputDir) is not { Length: > 0 } directory)
            {
                foreach (var type in types) cli.Env.Out.Write(CustomResourceDefinitions.Yaml(type));
                return;
            }
            Directory.CreateDirectory(directory);
            // Files of types that no longer exist would linger and still be applied.
            foreach (var stale in Directory.EnumerateFiles(directory, $"{CustomResourceDefinitions.Group}_*.yaml")) File.Delete(stale);
            foreach (var type in types) File.WriteAllText(Path.Combine(directory, CustomResourceDefinitions.FileNameOf(type)), CustomResourceDefinitions.Yaml(type));
            File.WriteAllText(Path.Combine(directory, "kustomization.yaml"), CustomResourceDefinitions.Kustomization(types));
            cli.Env.Out.WriteLine($"wrote {types.Count} CRDs to {directory}");
        });
        return command;
    }
}
