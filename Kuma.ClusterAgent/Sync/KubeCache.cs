using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace Kuma.ClusterAgent.Sync;

/// <summary>
/// What one list-then-watch loop knows of a resource type. A list replaces everything; watch events change one
/// object. Every change signals <see cref="Changed"/>, so the reconcilers work from a consistent local copy.
/// </summary>
internal sealed class KubeCache<T> where T : IKubernetesObject<V1ObjectMeta>
{
    private readonly ConcurrentDictionary<string, T> _objects = new(StringComparer.Ordinal);
    private readonly ChangeSignal _changed;

    public KubeCache(ChangeSignal changed) => _changed = changed;

    /// <summary>Set once the first list has been taken in: before that, an empty cache means "unknown", not "none".</summary>
    public bool Synced { get; private set; }

    public IReadOnlyCollection<T> Items => [.. _objects.Values];

    public T? Get(string? ns, string name) => _objects.GetValueOrDefault(Key(ns, name));

    public void Replace(IEnumerable<T> items)
    {
        var fresh = items.ToDictionary(i => Key(i.Metadata), StringComparer.Ordinal);
        foreach (var key in _objects.Keys.Where(k => !fresh.ContainsKey(k))) _objects.TryRemove(key, out _);
        foreach (var (key, item) in fresh) _objects[key] = item;
        Synced = true;
        _changed.Signal();
    }

    public void Upsert(T item)
    {
        _objects[Key(item.Metadata)] = item;
        _changed.Signal();
    }

    public void Remove(T item)
    {
        _objects.TryRemove(Key(item.Metadata), out _);
        _changed.Signal();
    }

    private static string Key(V1ObjectMeta meta) => Key(meta.NamespaceProperty, meta.Name);

    private static string Key(string? ns, string name) => $"{ns}/{name}";
}
