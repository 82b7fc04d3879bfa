using System.CommandLine;
using System.Text.Json.Nodes;
using Kuma.Validation;

namespace Kuma.Kumactl.Commands;

/// <summary><c>kumactl generate dataplane-token</c> and <c>kumactl generate user-token</c>, issued by the control plane.</summary>
public static class GenerateCommands
{
    public static Command Build(Cli cli)
    {
        var generate = new Command("generate", "Generate resources, tokens, etc.");
        generate.Subcommands.Add(DataplaneToken(cli));
        generate.Subcommands.Add(UserToken(cli));
        return generate;
    }

    private static Option<string> ValidForOption() => new("--valid-for")
    {
        Description = "how long the token will be valid (for example \"24h\")",
        Required = true,
        CustomParser = r => Durations.TryParse(r.Tokens.Single().Value, out var value) && value > TimeSpan.Zero
            ? r.Tokens.Single().Value
            : Cli.Fail<string>(r, $"--valid-for: {Durations.InvalidMessage}"),
    };

    private static Command DataplaneToken(Cli cli)
    {
        var name = new Option<string?>("--name") { Description = "name of the Dataplane" };
        var mesh = Cli.MeshOption();
        var tags = new Option<string[]>("--tag") { Description = "required tag values for dataplane (split values by comma to provide multiple values)" };
        var validFor = ValidForOption();
        var command = new Command("dataplane-token", """
            Generate Dataplane Token that is used to prove Dataplane identity.

            Examples:
              Generate token bound by name and mesh
              $ kumactl generate dataplane-token --mesh demo --name demo-01 --valid-for 24h

              Generate token bound by mesh
              $ kumactl generate dataplane-token --mesh demo --valid-for 24h

              Generate token bound by tag
              $ kumactl generate dataplane-token --mesh demo --tag kuma.io/service=web,web-api --valid-for 24h
            """)
        {
            name, mesh, tags, validFor,
        };
        command.SetAction(async (p, ct) =>
        {
            var tagValues = new JsonObject();
            foreach (var (key, values) in KeyValues.Parse(p.GetValue(tags), "--tag"))
                tagValues[key] = new JsonArray([.. values.Split(',').Select(v => (JsonNode)v)]);
            var body = new JsonObject { ["mesh"] = p.GetValue(mesh), ["tags"] = tagValues, ["validFor"] = p.GetValue(validFor) };
            if (p.GetValue(name) is { Length: > 0 } dataplane) body["name"] = dataplane;
            using var client = cli.Client(p);
            await cli.Env.Out.WriteAsync(await client.PostForTextAsync("tokens/dataplane", body, "failed to generate a dataplane token", ct));
        });
        return command;
    }

    private static Command UserToken(Cli cli)
    {
        var name = new Option<string>("--name") { Description = "name of the user", Required = true };
        var groups = new Option<string[]>("--group") { Description = "group of the user (repeat the flag for several groups)" };
        var tenant = new Option<string?>("--tenant") { Description = "tenant the token acts in (the admin issues tokens of any tenant; a tenant's user only of its own)" };
        var validFor = ValidForOption();
        var command = new Command("user-token", """
            Generate User Token. The token can be used to authenticate kumactl (--auth-type=tokens --auth-conf token=...) or other API clients.

            Examples:
              Generate a token for the admin group of tenant acme, valid for one day
              $ kumactl generate user-token --name alice --group mesh-system:admin --tenant acme --valid-for 24h

              Generate a token of a tenant's user (run with that tenant's token: --tenant may be left out)
              $ kumactl generate user-token --name bob --group team-a --valid-for 8h
            """)
        {
            name, groups, tenant, validFor,
        };
        command.SetAction(async (p, ct) =>
        {
            var body = new JsonObject
            {
                ["name"] = p.GetValue(name),
                ["groups"] = new JsonArray([.. (p.GetValue(groups) ?? []).SelectMany(g => g.Split(',')).Select(g => (JsonNode)g)]),
                ["validFor"] = p.GetValue(validFor),
            };
            if (p.GetValue(tenant) is { Length: > 0 } t) body["tenant"] = t;
            using var client = cli.Client(p);
            await cli.Env.Out.WriteAsync(await client.PostForTextAsync("tokens/user", body, "failed to generate a user token", ct));
        });
        return command;
    }
}
