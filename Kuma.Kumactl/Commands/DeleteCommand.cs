using System.CommandLine;
using Kuma.Kumactl.Resources;

namespace Kuma.Kumactl.Commands;

/// <summary><c>kumactl delete TYPE NAME [--mesh M]</c> with Kuma's singular type names.</summary>
public static class DeleteCommand
{
    public static Command Build(Cli cli)
    {
        var allowed = KumactlTypes.All.Select(t => t.Singular).Order(StringComparer.Ordinal).ToArray();
        var typeArgument = new Argument<string>("TYPE") { Description = $"type of the resource: one of {string.Join(", ", allowed)}" };
        typeArgument.CompletionSources.Add(allowed);
        var name = new Argument<string>("NAME") { Description = "name of the resource" };
        var mesh = Cli.MeshOption();
        var command = new Command("delete", """
            Delete Kuma resources.

            Examples:
              kumactl delete mesh demo
              kumactl delete dataplane web-1 --mesh demo
              kumactl delete meshtimeout timeout-1 --mesh demo
            """)
        {
            typeArgument, name, mesh,
        };
        command.SetAction(async (p, ct) =>
        {
            var typeName = p.GetValue(typeArgument)!;
            var type = KumactlTypes.BySingular(typeName)
                ?? throw new KumactlException($"unknown TYPE: {typeName}. Allowed values: {string.Join(", ", allowed)}");
            var resourceName = p.GetValue(name)!;
            using var client = cli.Client(p);
            var deleted = await client.DeleteAsync(type.ItemPath(p.GetValue(mesh)!, resourceName), $"failed to delete {type.Name} with the name \"{resourceName}\"", ct);
            if (!deleted) throw new KumactlException($"there is no {type.Name} with name \"{resourceName}\"");
            await cli.Env.Out.WriteLineAsync($"deleted {type.Name} \"{resourceName}\"");
        });
        return command;
    }
}
