using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using Kuma.Kumactl.Output;
using Kuma.Kumactl.Resources;

namespace Kuma.Kumactl.Commands;

/// <summary>
/// <c>kumactl apply -f FILE|DIR|URL|-</c>: every document is read and checked with the control plane's own validators
/// first; only when all pass is anything sent, one PUT per resource in file order.
/// </summary>
public static class ApplyCommand
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    public static Command Build(Cli cli)
    {
        var file = new Option<string>("--file", "-f")
        {
            Description = "Path to file or directory to apply. When a directory is provided, all .yaml, .yml, and .json files are applied. Pass `-` to read from stdin",
            Required = true,
        };
        var vars = new Option<string[]>("--var", "-v") { Description = "Variable to replace in configuration, as key=value; {{ key }} in the file becomes value" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Resolve variable and prints result out without actual applying" };
        var command = new Command("apply", """
            Create or modify Kuma resources. Every document is validated before any is applied; if one is not valid, nothing is applied.

            Examples:
              Apply a resource from file
              $ kumactl apply -f resource.yaml

              Apply a resource from stdin
              $ echo "
              type: Mesh
              name: demo
              " | kumactl apply -f -

              Apply all resources from a directory
              $ kumactl apply -f resources/

              Fill in a template
              $ kumactl apply -f dataplane.yaml --var address=10.0.0.1
            """)
        {
            file, vars, dryRun,
        };
        command.SetAction(async (p, ct) =>
        {
            var content = await ReadContentAsync(cli.Env, p.GetValue(file)!, ct);
            if (content.Trim().Length == 0) throw new KumactlException("no resource(s) passed to apply");
            var values = KeyValues.Parse(p.GetValue(vars), "--var");

            var documents = new List<ResourceDocument>();
            var failed = false;
            var index = 0;
            foreach (var raw in ResourceDocuments.Split(content))
            {
                var text = values.Count > 0 ? ResourceDocuments.Render(raw, values) : raw;
                var problems = new List<string>();
                if (ResourceDocuments.Parse(text, problems) is { } document) documents.Add(document);
                foreach (var problem in problems) await cli.Env.Err.WriteLineAsync($"resource[{index}]: {problem}");
                failed |= problems.Count > 0;
                index++;
            }
            if (failed) throw new KumactlException("failed to validate some resources");

            if (p.GetValue(dryRun))
            {
                await cli.Env.Out.WriteAsync(string.Join("---\n", documents.Select(d => ResourceYaml.Write(d.Body, d.Type))));
                return;
            }
            using var client = cli.Client(p);
            foreach (var document in documents)
            {
                var body = (JsonObject)document.Body.DeepClone();
                if (!document.Type.MeshScoped) body.Remove("mesh");
                var (created, warnings) = await client.PutAsync(document.Type.ItemPath(document.Mesh, document.Name), body, $"{document.Describe()}: failed server side", ct);
                await cli.Env.Out.WriteLineAsync($"{document.Describe()} {(created ? "Created" : "Updated")}");
                foreach (var warning in warnings) await cli.Env.Err.WriteLineAsync($"Warning: {warning}");
            }
        });
        return command;
    }

    private static async Task<string> ReadContentAsync(KumactlEnvironment env, string file, CancellationToken ct)
    {
        if (file == "-") return await env.In.ReadToEndAsync(ct);
        if (file.StartsWith("http://", StringComparison.Ordinal) || file.StartsWith("https://", StringComparison.Ordinal))
            return await ReadUrlAsync(env, file, ct);
        try
        {
            if (Directory.Exists(file)) return ReadDirectory(file);
            return await File.ReadAllTextAsync(file, Encoding.UTF8, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KumactlException($"error while reading provided file: {e.Message}");
        }
    }

    /// <summary>The directory's YAML and JSON files (not its subdirectories) in name order, as one stream of documents.</summary>
    private static string ReadDirectory(string directory)
    {
        var files = Directory.EnumerateFiles(directory)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal);
        return string.Join("\n---\n", files.Select(f => File.ReadAllText(f, Encoding.UTF8)));
    }

    private static async Task<string> ReadUrlAsync(KumactlEnvironment env, string url, CancellationToken ct)
    {
        using var http = new HttpClient(env.HttpHandler?.Invoke() ?? new SocketsHttpHandler(), disposeHandler: true) { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            using var response = await http.GetAsync(new Uri(url), ct);
            if (!response.IsSuccessStatusCode) throw new KumactlException($"error while retrieving URL {url}: {(int)response.StatusCode} {response.StatusCode}");
            return await response.Content.ReadAsStringAsync(ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or UriFormatException)
        {
            throw new KumactlException($"error while retrieving URL {url}: {e.Message}");
        }
    }
}
