using System.Diagnostics;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Kubernetes.Manifests;

/// <summary>The k8s/ folder read as Kubernetes reads it: typed models for every document, and kustomize's output.</summary>
internal static partial class KubernetesManifests
{
    public static string Root => Path.Combine(NodeProcess.RepositoryRoot(), "k8s");

    private const string Kubectl = "/usr/bin/kubectl";

    /// <summary>
    /// Every document as KubernetesClient's model for its apiVersion and kind; an unknown kind or an unknown field
    /// throws (the strict reader), naming <paramref name="source"/>.
    /// </summary>
    public static IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Load(string yaml, string source)
    {
        List<object> documents;
        try
        {
            documents = KubernetesYaml.LoadAllFromString(yaml, strict: true);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"{source} does not read as Kubernetes objects: {e.GetType().Name}: {e.Message}", e);
        }
        return [.. documents.Select(d => d as IKubernetesObject<V1ObjectMeta>
            ?? throw new InvalidOperationException($"{source}: a {d.GetType().Name} is no object with metadata"))];
    }

    /// <summary><c>kubectl kustomize</c> of a folder under k8s/, offline; a missing kubectl fails the caller.</summary>
    public static async Task<string> KustomizeAsync(string folder)
    {
        Assert.True(File.Exists(Kubectl), $"{Kubectl} is missing: the manifests cannot be checked with kustomize (install kubectl 1.32 or later)");
        var start = new ProcessStartInfo(Kubectl, ["kustomize", Path.Combine(Root, folder)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // No cluster is involved; an empty kubeconfig makes sure none is asked.
        start.Environment["KUBECONFIG"] = "/dev/null";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(deadline.Token);
        Assert.True(process.ExitCode == 0, $"kubectl kustomize k8s/{folder} failed ({process.ExitCode}): {await error}");
        return await output;
    }

    public static async Task<IReadOnlyList<IKubernetesObject<V1ObjectMeta>>> BuildAsync(string folder) =>
        Load(await KustomizeAsync(folder), $"kubectl kustomize k8s/{folder}");

    public static T Single<T>(IEnumerable<IKubernetesObject<V1ObjectMeta>> objects, string name) where T : IKubernetesObject<V1ObjectMeta> =>
        objects.OfType<T>().Single(o => o.Metadata.Name == name);

    /// <summary>A generated ConfigMap or Secret keeps its name before a hash suffix kustomize adds.</summary>
    public static T Generated<T>(IEnumerable<IKubernetesObject<V1ObjectMeta>> objects, string name) where T : IKubernetesObject<V1ObjectMeta> =>
        objects.OfType<T>().Single(o => o.Metadata.Name == name || HashSuffixed().IsMatch(o.Metadata.Name) && o.Metadata.Name[..o.Metadata.Name.LastIndexOf('-')] == name);

    /// <summary>
    /// What a container's process finds in its environment: its ConfigMaps' keys (envFrom), plain values, and the
    /// downward API's fields from <paramref name="fields"/>. Secret values read as "(secret name/key)": only their
    /// presence matters here. Every reference must resolve among <paramref name="objects"/>.
    /// </summary>
    public static Dictionary<string, string> Environment(V1Container container, IReadOnlyList<IKubernetesObject<V1ObjectMeta>> objects, IReadOnlyDictionary<string, string> fields)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in container.EnvFrom ?? [])
        {
            var map = objects.OfType<V1ConfigMap>().SingleOrDefault(c => c.Metadata.Name == source.ConfigMapRef.Name)
                ?? throw new InvalidOperationException($"container {container.Name}: ConfigMap {source.ConfigMapRef.Name} is not among the objects");
            foreach (var (key, value) in map.Data) environment[key] = value;
        }
        foreach (var variable in container.Env ?? [])
        {
            environment[variable.Name] = variable switch
            {
                { Value: { } value } => value,
                { ValueFrom.FieldRef.FieldPath: { } path } => fields[path],
                { ValueFrom.SecretKeyRef: { } secretRef } =>
                    objects.OfType<V1Secret>().SingleOrDefault(s => s.Metadata.Name == secretRef.Name) is { } secret && (secret.Data?.ContainsKey(secretRef.Key) ?? false)
                        ? $"(secret {secretRef.Name}/{secretRef.Key})"
                        : throw new InvalidOperationException($"container {container.Name}: {variable.Name} names key {secretRef.Key} of Secret {secretRef.Name}, which is not among the objects"),
                _ => throw new InvalidOperationException($"container {container.Name}: {variable.Name} has a source this test does not read"),
            };
        }
        return environment;
    }

    /// <summary>The number a named or numbered port of a container stands for.</summary>
    public static int PortOf(V1Container container, IntOrString port) =>
        int.TryParse(port.Value, out var number)
            ? number
            : container.Ports.Single(p => p.Name == port.Value).ContainerPort;

    [GeneratedRegex("-[a-z0-9]{10}$")]
    private static partial Regex HashSuffixed();
}
