namespace Kuma.Resilience;

/// <summary>Which kinds of failure were already logged since things last worked: a retry loop reports each kind once, not once per attempt.</summary>
public sealed class FailureKinds
{
    private readonly Lock _lock = new();
    private readonly HashSet<string> _seen = [];

    /// <summary>True the first time this stage fails with this exception type.</summary>
    public bool IsNew(string stage, Exception e)
    {
        lock (_lock) return _seen.Add($"{stage}:{e.GetType().FullName}");
    }

    /// <summary>Forgets every kind; true when there was any (so a recovery is worth a line).</summary>
    public bool Clear()
    {
        lock (_lock)
        {
            var any = _seen.Count > 0;
            _seen.Clear();
            return any;
        }
    }
}
