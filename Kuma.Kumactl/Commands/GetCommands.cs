using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Kumactl.Output;
using Kuma.Kumactl.Resources;

namespace Kuma.Kumactl.Commands;

/// <summary>
/// <c>kumactl get TYPES [NAME]</c> and <c>kumactl get TYPE NAME</c> for every type, as a table (Kuma's columns),
/// YAML or JSON. A list follows the API's <c>next</c> links through every page.
/// </summary>
public static class GetCommands
{
    public static Command Build(Cli cli)
    {
        var output = Listing.OutputOption();
        var get = new Command("get", """
            Show Kuma resources.

            Examples:
              kumactl get meshes
              kumactl get dataplanes --mesh demo -o yaml
              kumactl get meshtimeout timeout-1 --mesh demo -o json
            """)
        {
            output,
        };
        foreach (var type in KumactlTypes.All)
        {
            get.Subcommands.Add(ListCommand(cli, type, output));
            get.Subcommands.Add(ItemCommand(cli, type, output));
        }
        return get;
    }

    private static Command ListCommand(Cli cli, KumactlType type, Option<string> output)
    {
        var name = new Argument<string?>("NAME") { Description = $"show only the {type.Name} of this name", Arity = ArgumentArity.ZeroOrOne };
        var size = new Option<int?>("--size") { Description = "how many items to ask the control plane for in one page (every page is fetched)" };
        var command = new Command(type.Plural, $"""
            Show {type.Name} resources.

            Examples:
              kumactl get {type.Plural}{(type.MeshScoped ? " --mesh demo" : "")}
              kumactl get {type.Plural} -o yaml
            """)
        {
            name, size,
        };
        var mesh = AddMesh(command);
        command.SetAction(async (p, ct) =>
        {
            if (p.GetValue(name) is { } single)
            {
                await ShowOneAsync(cli, p, type, MeshOf(p, mesh), single, p.GetValue(output)!, ct);
                return;
            }
            using var client = cli.Client(p);
            var pageSize = p.GetValue(size);
            if (pageSize is <= 0) throw new KumactlException("--size must be greater than 0");
            var items = await client.ListAllAsync(type.ListPath(MeshOf(p, mesh)), pageSize, $"failed to list {type.Name}", ct);
            await cli.Env.Out.WriteAsync(Listing.Render(p.GetValue(output)!, items, ResourceColumns.Headers(type), i => ResourceColumns.Row(type, i, cli.Env.Clock.GetUtcNow())));
        });
        return command;
    }

    private static Command ItemCommand(Cli cli, KumactlType type, Option<string> output)
    {
        var name = new Argument<string>("NAME") { Description = $"name of the {type.Name}" };
        var command = new Command(type.Singular, $"""
            Show a single {type.Name} resource.

            Examples:
              kumactl get {type.Singular} NAME{(type.MeshScoped ? " --mesh demo" : "")} -o yaml
            """)
        {
            name,
        };
        var mesh = AddMesh(command);
        command.SetAction((p, ct) => ShowOneAsync(cli, p, type, MeshOf(p, mesh), p.GetValue(name)!, p.GetValue(output)!, ct));
        return command;
    }

    private static async Task ShowOneAsync(Cli cli, ParseResult p, KumactlType type, string mesh, string name, string format, CancellationToken ct)
    {
        using var client = cli.Client(p);
        var item = await client.GetAsync(type.ItemPath(mesh, name), $"failed to get {name}", ct)
            ?? throw new KumactlException(type.MeshScoped ? $"No resources found in {mesh} mesh" : "No resources found");
        await cli.Env.Out.WriteAsync(format switch
        {
            "json" => Json(item),
            "yaml" => ResourceYaml.Write(item, type),
            _ => Table.Format(ResourceColumns.Headers(type), [ResourceColumns.Row(type, item, cli.Env.Clock.GetUtcNow())]),
        });
    }

    private static string Json(JsonNode node) => Listing.Json(node);

    /// <summary>Every get takes <c>--mesh</c>, as in Kuma; types outside meshes ignore it.</summary>
    private static Option<string> AddMesh(Command command)
    {
        var mesh = Cli.MeshOption();
        command.Options.Add(mesh);
        return mesh;
    }

    private static string MeshOf(ParseResult p, Option<string> mesh) => p.GetValue(mesh)!;
}
