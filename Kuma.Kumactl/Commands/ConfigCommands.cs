using System.CommandLine;
using System.Text.Json;
using Kuma.Kumactl.Client;
using Kuma.Kumactl.Config;
using Kuma.Kumactl.Output;

namespace Kuma.Kumactl.Commands;

/// <summary><c>kumactl config view</c> and <c>kumactl config control-planes add|list|switch|remove</c>.</summary>
public static class ConfigCommands
{
    /// <summary>The product name the index of a control plane kumactl can drive reports.</summary>
    private const string Product = "Kuma";

    public static Command Build(Cli cli)
    {
        var view = new Command("view", "Show kumactl configuration.\n\nExamples:\n  kumactl config view");
        view.SetAction(p => cli.Env.Out.Write(ConfigFile.ToYaml(cli.LoadConfig(p))));

        var controlPlanes = new Command("control-planes", "Manage known Control Planes.");
        controlPlanes.Subcommands.Add(Add(cli));
        controlPlanes.Subcommands.Add(List(cli));
        controlPlanes.Subcommands.Add(Switch(cli));
        controlPlanes.Subcommands.Add(Remove(cli));

        var config = new Command("config", "Manage kumactl config.");
        config.Subcommands.Add(view);
        config.Subcommands.Add(controlPlanes);
        return config;
    }

    private static Option<string> NameOption() => new("--name") { Description = "reference name for the Control Plane (required)", Required = true };

    private static Command Add(Cli cli)
    {
        var name = NameOption();
        var address = new Option<string>("--address") { Description = "URL of the Control Plane API Server (required). Example: http://localhost:5681 or https://localhost:5682", Required = true };
        var overwrite = new Option<bool>("--overwrite") { Description = "overwrite existing Control Plane with the same reference name" };
        var caCert = new Option<string?>("--ca-cert-file") { Description = "path to the certificate authority which will be used to verify the Control Plane certificate (kumactl stores only a reference to this file)" };
        var clientCert = new Option<string?>("--client-cert-file") { Description = "path to a client certificate kumactl presents to the Control Plane (kumactl stores only a reference to this file)" };
        var clientKey = new Option<string?>("--client-key-file") { Description = "path to the key of that client certificate (kumactl stores only a reference to this file)" };
        var skipVerify = new Option<bool>("--skip-verify") { Description = "skip CA verification" };
        var headers = new Option<string[]>("--headers") { Description = "add these headers while communicating to control plane, format key=value" };
        var authType = new Option<string?>("--auth-type") { Description = "authentication type (for example: \"tokens\")" };
        var authConf = new Option<string[]>("--auth-conf") { Description = "authentication configuration for defined authentication type format key=value (tokens: token=YOUR_TOKEN)" };
        var skipCheck = new Option<bool>("--skip-check") { Description = "skip checking if we can connect to the CP" };
        var command = new Command("add", """
            Add a Control Plane and make it the active one. kumactl checks that the Control Plane answers before saving it (unless --skip-check).

            Examples:
              kumactl config control-planes add --name local --address http://localhost:5681
              kumactl config control-planes add --name prod --address https://cp.example.com:5682 --ca-cert-file ca.pem --auth-type=tokens --auth-conf token=$TOKEN
            """)
        {
            name, address, overwrite, caCert, clientCert, clientKey, skipVerify, headers, authType, authConf, skipCheck,
        };
        command.SetAction(async (p, ct) =>
        {
            var url = p.GetValue(address)!;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
                throw new KumactlException($"API Server URL is invalid: {url}");
            var certFile = p.GetValue(clientCert);
            var keyFile = p.GetValue(clientKey);
            if (string.IsNullOrEmpty(certFile) != string.IsNullOrEmpty(keyFile))
                throw new KumactlException("Both --client-cert-file and --client-key-file needs to be specified");
            var conf = KeyValues.Parse(p.GetValue(authConf), "--auth-conf");
            var type = p.GetValue(authType);
            if (!string.IsNullOrEmpty(type))
            {
                if (type != AuthTypes.Tokens) throw new KumactlException($"authentication plugin of type \"{type}\" is not found");
                if (!conf.TryGetValue(AuthTypes.TokenKey, out var token) || token.Length == 0)
                    throw new KumactlException("--auth-conf is not valid: provide token=YOUR_TOKEN");
            }
            var controlPlane = new ControlPlaneEntry
            {
                Name = p.GetValue(name)!,
                ApiServer = new ApiServerEntry
                {
                    Url = url,
                    CaCertFile = p.GetValue(caCert),
                    ClientCertFile = certFile,
                    ClientKeyFile = keyFile,
                    SkipVerify = p.GetValue(skipVerify),
                    AuthType = type,
                    AuthConf = conf,
                    Headers = [.. KeyValues.Parse(p.GetValue(headers), "--headers").OrderBy(h => h.Key, StringComparer.Ordinal)],
                },
            };
            if (!p.GetValue(skipCheck)) await CheckAnswersAsync(cli, p, controlPlane, ct);

            var config = cli.LoadConfig(p);
            var overwriting = p.GetValue(overwrite);
            if (!config.AddControlPlane(controlPlane, overwriting))
                throw new KumactlException($"Control Plane with name \"{controlPlane.Name}\" already exists. Use --overwrite to replace an existing one.");
            if (!config.AddContext(new ContextEntry { Name = controlPlane.Name, ControlPlane = controlPlane.Name }, overwriting))
                throw new KumactlException($"Context with name \"{controlPlane.Name}\" already exists");
            config.CurrentContext = controlPlane.Name;
            cli.SaveConfig(p, config);
            await cli.Env.Out.WriteLineAsync($"added Control Plane \"{controlPlane.Name}\"");
            await cli.Env.Out.WriteLineAsync($"switched active Control Plane to \"{controlPlane.Name}\"");
        });
        return command;
    }

    /// <summary>The index (<c>GET /</c>) must answer, and from a Kuma control plane.</summary>
    private static async Task CheckAnswersAsync(Cli cli, ParseResult p, ControlPlaneEntry controlPlane, CancellationToken ct)
    {
        using var client = KumaApiClient.For(controlPlane.ApiServer, cli.Env, p.GetValue(cli.ApiTimeoutOption));
        var failure = $"could not add Control Plane \"{controlPlane.Name}\"";
        var index = await client.GetAsync("", failure, ct)
            ?? throw new KumactlException($"{failure}: {controlPlane.ApiServer.Url} answered 404 Not Found, it is not a Kuma API Server");
        var product = index["product"] is { } node && node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : "";
        if (product != Product)
            throw new KumactlException($"this CLI is for {Product} but the control plane you're connected to is {product}. Please use the CLI for your control plane");
    }

    private static Command List(Cli cli)
    {
        var command = new Command("list", "List Control Planes.\n\nExamples:\n  kumactl config control-planes list");
        command.SetAction(p =>
        {
            var config = cli.LoadConfig(p);
            var rows = config.Contexts.Select(c => (IReadOnlyList<string>)
                [c.Name == config.CurrentContext ? "*" : "", c.ControlPlane, config.ControlPlanes.Find(cp => cp.Name == c.ControlPlane)?.ApiServer.Url ?? ""]);
            cli.Env.Out.Write(Table.Format(["ACTIVE", "NAME", "ADDRESS"], rows));
        });
        return command;
    }

    private static Command Switch(Cli cli)
    {
        var name = NameOption();
        var command = new Command("switch", "Switch active Control Plane.\n\nExamples:\n  kumactl config control-planes switch --name prod") { name };
        command.SetAction(p =>
        {
            var config = cli.LoadConfig(p);
            var target = p.GetValue(name)!;
            if (!config.Switch(target)) throw new KumactlException($"there is no Control Plane with name \"{target}\"");
            cli.SaveConfig(p, config);
            cli.Env.Out.WriteLine($"switched active Control Plane to \"{target}\"");
        });
        return command;
    }

    private static Command Remove(Cli cli)
    {
        var name = NameOption();
        var command = new Command("remove", "Remove a Control Plane.\n\nExamples:\n  kumactl config control-planes remove --name prod") { name };
        command.SetAction(p =>
        {
            var config = cli.LoadConfig(p);
            var target = p.GetValue(name)!;
            if (!config.RemoveControlPlane(target)) throw new KumactlException($"there is no Control Plane with name \"{target}\"");
            cli.SaveConfig(p, config);
            cli.Env.Out.WriteLine($"removed Control Plane \"{target}\"");
            cli.Env.Out.WriteLine(config.Current is { } current
                ? $"switched active Control Plane to \"{current.ControlPlane}\""
                : "there is no active Control Plane left. Use `kumactl config control-planes add` to add a Control Plane and make it active");
        });
        return command;
    }
}
