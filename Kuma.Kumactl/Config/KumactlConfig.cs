namespace Kuma.Kumactl.Config;

/// <summary>Kuma's kumactl configuration: the control planes known, one context per control plane, and the current one.</summary>
public sealed class KumactlConfig
{
    public List<ControlPlaneEntry> ControlPlanes { get; } = [];
    public List<ContextEntry> Contexts { get; } = [];
    public string CurrentContext { get; set; } = "";

    /// <summary>What kumactl uses before anything was added: the control plane on this machine.</summary>
    public static KumactlConfig Default()
    {
        var config = new KumactlConfig { CurrentContext = "local" };
        config.ControlPlanes.Add(new ControlPlaneEntry { Name = "local", ApiServer = new ApiServerEntry { Url = "http://localhost:5681" } });
        config.Contexts.Add(new ContextEntry { Name = "local", ControlPlane = "local" });
        return config;
    }

    public ContextEntry? Current => Contexts.Find(c => c.Name == CurrentContext);

    public ControlPlaneEntry? CurrentControlPlane => Current is { } context ? ControlPlanes.Find(cp => cp.Name == context.ControlPlane) : null;

    /// <summary>False when the name is taken and <paramref name="overwrite"/> is not set.</summary>
    public bool AddControlPlane(ControlPlaneEntry controlPlane, bool overwrite) => Upsert(ControlPlanes, controlPlane, c => c.Name == controlPlane.Name, overwrite);

    public bool AddContext(ContextEntry context, bool overwrite) => Upsert(Contexts, context, c => c.Name == context.Name, overwrite);

    public bool Switch(string name)
    {
        if (Contexts.Find(c => c.Name == name) is null) return false;
        CurrentContext = name;
        return true;
    }

    /// <summary>Removes a control plane and the contexts that use it; the current context moves to the first one left.</summary>
    public bool RemoveControlPlane(string name)
    {
        if (ControlPlanes.RemoveAll(c => c.Name == name) == 0) return false;
        Contexts.RemoveAll(c => c.ControlPlane == name);
        if (Current is null) CurrentContext = Contexts.Count > 0 ? Contexts[0].Name : "";
        return true;
    }

    private static bool Upsert<T>(List<T> list, T item, Predicate<T> sameName, bool overwrite)
    {
        var index = list.FindIndex(sameName);
        if (index < 0)
        {
            list.Add(item);
            return true;
        }
        if (!overwrite) return false;
        list[index] = item;
        return true;
    }
}

public sealed class ControlPlaneEntry
{
    public required string Name { get; init; }
    public required ApiServerEntry ApiServer { get; init; }
}

public sealed class ApiServerEntry
{
    public required string Url { get; init; }
    public string? CaCertFile { get; init; }
    public string? ClientCertFile { get; init; }
    public string? ClientKeyFile { get; init; }
    public bool SkipVerify { get; init; }
    public string? AuthType { get; init; }
    public IReadOnlyDictionary<string, string> AuthConf { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];
}

public sealed class ContextEntry
{
    public required string Name { get; init; }
    public required string ControlPlane { get; init; }
    public string? DefaultMesh { get; init; }
}
