using System.Collections.Concurrent;

namespace Kuma.LoadTest.Baseline;

/// <summary>
/// Every response the control plane sent to each simulated proxy, encoded as it arrived and tagged with
/// the scenario's phase: 0 while connecting, then one phase per change. The baseline server replays it.
/// </summary>
public sealed class Recording
{
    private readonly ConcurrentDictionary<string, ResponseLog> _logs = new(StringComparer.Ordinal);
    private volatile int _phase;

    /// <summary>Responses arriving from now on belong to this phase.</summary>
    public int Phase
    {
        get => _phase;
        set => _phase = value;
    }

    public IReadOnlyDictionary<string, ResponseLog> Logs => _logs;

    /// <summary>Node ids repeat across tenants, so a proxy's log is found by both.</summary>
    public static string Key(string tenant, string nodeId) => $"{tenant}/{nodeId}";

    public ResponseLog For(string nodeId, bool delta) => _logs.GetOrAdd(nodeId, _ => new ResponseLog(this, delta));

    public async Task SaveAsync(string path)
    {
        await using var file = File.Create(path);
        await using var writer = new BinaryWriter(file);
        writer.Write(_logs.Count);
        foreach (var (node, log) in _logs)
        {
            writer.Write(node);
            writer.Write(log.Delta);
            var entries = log.Entries;
            writer.Write(entries.Count);
            foreach (var (phase, bytes) in entries)
            {
                writer.Write(phase);
                writer.Write(bytes.Length);
                writer.Write(bytes);
            }
        }
    }

    public static Recording Load(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        var recording = new Recording();
        for (var count = reader.ReadInt32(); count > 0; count--)
        {
            var log = recording.For(reader.ReadString(), reader.ReadBoolean());
            for (var entries = reader.ReadInt32(); entries > 0; entries--)
            {
                var phase = reader.ReadInt32();
                log.Add(phase, reader.ReadBytes(reader.ReadInt32()));
            }
        }
        return recording;
    }
}

/// <summary>One proxy's responses, in arrival order.</summary>
public sealed class ResponseLog(Recording owner, bool delta)
{
    private readonly List<(int Phase, byte[] Bytes)> _entries = [];

    public bool Delta { get; } = delta;

    public IReadOnlyList<(int Phase, byte[] Bytes)> Entries
    {
        get
        {
            lock (_entries) return [.. _entries];
        }
    }

    public void Add(byte[] response) => Add(owner.Phase, response);

    internal void Add(int phase, byte[] response)
    {
        lock (_entries) _entries.Add((phase, response));
    }
}
