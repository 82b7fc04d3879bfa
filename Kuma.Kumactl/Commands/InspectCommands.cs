using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Kumactl.Output;
using Kuma.Kumactl.Resources;

namespace Kuma.Kumactl.Commands;

/// <summary>
/// <c>kumactl inspect</c>: what the control plane knows beyond the stored resources. Dataplanes with their connection
/// state (<c>dataplanes+insights</c>), one dataplane's config, merged rules or policies, the meshes' insights, the
/// services of a mesh, and the dataplanes a policy selects.
/// </summary>
public static class InspectCommands
{
    public static Command Build(Cli cli)
    {
        var output = Listing.OutputOption();
        var inspect = new Command("inspect", """
            Inspect Kuma resources: their connection state, the config and policies a dataplane gets, what a policy selects.

            Examples:
              kumactl inspect dataplanes --mesh demo
              kumactl inspect dataplane web-1 --mesh demo --type config
              kumactl inspect meshes
              kumactl inspect meshtimeout timeout-1 --mesh demo
            """)
        {
            output,
        };
        inspect.Subcommands.Add(Dataplanes(cli, output));
        inspect.Subcommands.Add(Dataplane(cli));
        inspect.Subcommands.Add(Meshes(cli, output));
        inspect.Subcommands.Add(Services(cli, output));
        foreach (var type in KumactlTypes.All.Where(t => t.Descriptor.IsPolicy)) inspect.Subcommands.Add(Policy(cli, type, output));
        return inspect;
    }

    private static Command Dataplanes(Cli cli, Option<string> output)
    {
        var mesh = Cli.MeshOption();
        var tags = new Option<string[]>("--tag") { Description = "filter by tag in format of key=value; repeat for several", AllowMultipleArgumentsPerToken = false };
        var gateway = new Option<bool>("--gateway") { Description = "filter gateway dataplanes" };
        var command = new Command("dataplanes", """
            Inspect Dataplanes: online or offline, updates sent and rejected, the last rejection's error.

            Examples:
              kumactl inspect dataplanes --mesh demo
              kumactl inspect dataplanes --tag kuma.io/service=web -o yaml
            """)
        {
            mesh, tags, gateway,
        };
        command.SetAction(async (p, ct) =>
        {
            var query = new List<string>();
            foreach (var tag in p.GetValue(tags) ?? [])
            {
                if (tag.Split('=', 2) is not [{ Length: > 0 } key, var value])
                    throw new KumactlException($"invalid --tag {tag}: use key=value");
                query.Add("tag=" + Uri.EscapeDataString($"{key}:{value}"));
            }
            if (p.GetValue(gateway)) query.Add("gateway=true");
            using var client = cli.Client(p);
            var path = $"meshes/{Uri.EscapeDataString(p.GetValue(mesh)!)}/dataplanes+insights" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
            var items = await client.ListAllAsync(path, null, "failed to list Dataplanes", ct);
            await cli.Env.Out.WriteAsync(Listing.Render(p.GetValue(output)!, items, InsightColumns.DataplaneHeaders,
                i => InsightColumns.DataplaneRow(i, cli.Env.Clock.GetUtcNow())));
        });
        return command;
    }

    private static Command Dataplane(Cli cli)
    {
        var name = new Argument<string>("NAME") { Description = "name of the Dataplane" };
        var mesh = Cli.MeshOption();
        var type = new Option<string>("--type")
        {
            Description = "inspection type: policies (the policies that act on it, per type), rules (their merged result), config (its Envoy config)",
            DefaultValueFactory = _ => "policies",
        };
        type.AcceptOnlyFromAmong("policies", "rules", "config");
        var command = new Command("dataplane", """
            Inspect one Dataplane: the policies that act on it, their merged rules, or the Envoy config it gets.

            Examples:
              kumactl inspect dataplane web-1 --mesh demo
              kumactl inspect dataplane web-1 --mesh demo --type rules
              kumactl inspect dataplane web-1 --mesh demo --type config
            """)
        {
            name, mesh, type,
        };
        command.SetAction(async (p, ct) =>
        {
            var dataplane = p.GetValue(name)!;
            var basePath = $"meshes/{Uri.EscapeDataString(p.GetValue(mesh)!)}/dataplanes/{Uri.EscapeDataString(dataplane)}";
            using var client = cli.Client(p);
            var inspection = p.GetValue(type)!;
            var view = inspection == "config" ? "_config" : "_rules";
            var answer = await client.GetAsync($"{basePath}/{view}", $"failed to inspect {dataplane}", ct)
                ?? throw new KumactlException($"Dataplane {dataplane} is not found in mesh {p.GetValue(mesh)}");
            await cli.Env.Out.WriteAsync(inspection == "policies" ? PoliciesOf(answer) : Listing.Json(answer));
        });
        return command;
    }

    private static Command Meshes(Cli cli, Option<string> output)
    {
        var command = new Command("meshes", """
            Inspect Meshes: dataplanes online of all, and how many policies of each type.

            Examples:
              kumactl inspect meshes
              kumactl inspect meshes -o json
            """);
        command.SetAction(async (p, ct) =>
        {
            using var client = cli.Client(p);
            var items = await client.ListAllAsync("mesh-insights", null, "failed to list Mesh insights", ct);
            await cli.Env.Out.WriteAsync(Listing.Render(p.GetValue(output)!, items, InsightColumns.MeshHeaders, InsightColumns.MeshRow));
        });
        return command;
    }

    private static Command Services(Cli cli, Option<string> output)
    {
        var mesh = Cli.MeshOption();
        var command = new Command("services", """
            Inspect the services of a mesh: their status and dataplanes online.

            Examples:
              kumactl inspect services --mesh demo
            """)
        {
            mesh,
        };
        command.SetAction(async (p, ct) =>
        {
            using var client = cli.Client(p);
            var items = await client.ListAllAsync($"meshes/{Uri.EscapeDataString(p.GetValue(mesh)!)}/service-insights", null, "failed to list Service insights", ct);
            await cli.Env.Out.WriteAsync(Listing.Render(p.GetValue(output)!, items, InsightColumns.ServiceHeaders, InsightColumns.ServiceRow));
        });
        return command;
    }

    /// <summary><c>kumactl inspect meshtimeout NAME</c>: the dataplanes the policy's top-level targetRef selects.</summary>
    private static Command Policy(Cli cli, KumactlType type, Option<string> output)
    {
        var name = new Argument<string>("NAME") { Description = $"name of the {type.Name}" };
        var mesh = Cli.MeshOption();
        var command = new Command(type.Singular, $"""
            Inspect {type.Name}: the dataplanes it selects.

            Examples:
              kumactl inspect {type.Singular} NAME --mesh demo
            """)
        {
            name, mesh,
        };
        command.SetAction(async (p, ct) =>
        {
            using var client = cli.Client(p);
            var path = $"{type.ItemPath(p.GetValue(mesh)!, p.GetValue(name)!)}/_resources/dataplanes";
            var items = await client.ListAllAsync(path, null, $"failed to inspect {p.GetValue(name)}", ct);
            var format = p.GetValue(output)!;
            var text = Listing.Render(format, items, ["TYPE", "MESH", "NAME"], i => [Text(i, "type"), Text(i, "mesh"), Text(i, "name")]);
            await cli.Env.Out.WriteAsync(format == "table" ? text + $"\nTotal: {items.Count}\n" : text);
        });
        return command;
    }

    /// <summary>From <c>_rules</c>: per policy type, the policies that contribute to the dataplane's rules.</summary>
    private static string PoliciesOf(JsonObject rules)
    {
        var text = new StringBuilder();
        foreach (var entry in (rules["rules"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var origins = entry.DescendantsNamed("origin")
                .SelectMany(o => (o as JsonArray ?? []).OfType<JsonObject>())
                .Select(o => o["resourceMeta"]?["name"]?.ToString() ?? o["name"]?.ToString())
                .OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            if (origins.Count == 0) continue;
            text.Append(Text(entry, "type")).Append('\n');
            foreach (var origin in origins) text.Append("  ").Append(origin).Append('\n');
        }
        return text.Length == 0 ? "no policies act on this dataplane\n" : text.ToString();
    }

    private static IEnumerable<JsonNode> DescendantsNamed(this JsonNode node, string property)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    if (value is null) continue;
                    if (key == property) yield return value;
                    else foreach (var found in value.DescendantsNamed(property)) yield return found;
                }
                break;
            case JsonArray a:
                foreach (var item in a.OfType<JsonNode>())
                    foreach (var found in item.DescendantsNamed(property)) yield return found;
                break;
        }
    }

    private static string Text(JsonObject node, string field) => node[field]?.ToString() ?? "";
}
