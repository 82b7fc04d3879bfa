namespace Kuma.Tests.Kubernetes.Hosting;

/// <summary>Sets process environment variables for a test and puts the previous values back.</summary>
internal sealed class ProcessEnvironment : IDisposable
{
    private readonly Dictionary<string, string?> _previous = [];

    public ProcessEnvironment(IReadOnlyDictionary<string, string?> values)
    {
        foreach (var (name, value) in values)
        {
            _previous[name] = Environment.GetEnvironmentVariable(name);
            Environment.SetEnvironmentVariable(name, value);
        }
    }

    public void Dispose()
    {
        foreach (var (name, value) in _previous) Environment.SetEnvironmentVariable(name, value);
    }
}

/// <summary>Tests that set process-wide environment variables run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "process environment";
}
