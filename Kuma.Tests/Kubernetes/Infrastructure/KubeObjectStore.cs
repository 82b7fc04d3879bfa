using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Kuma.Tests.Kubernetes.Infrastructure;

/// <summary>
/// The fake API server's objects, one resourceVersion counter for all of them (as etcd's revision), the history of
/// changes watches replay from, and the open watches. The test drives it directly; the HTTP handler reads it.
/// </summary>
public sealed class KubeObjectStore
{
    private readonly object _gate = new();
    private readonly Dictionary<string, KubeResourceType> _types;
    private readonly Dictionary<(string Plural, string Namespace, string Name), JsonObject> _objects = [];
    private readonly List<KubeEvent> _history = [];
    private readonly List<Watch> _watches = [];
    private readonly Dictionary<string, int> _calls = new(StringComparer.Ordinal);
    private readonly List<string> _watchResourceVersions = [];
    private long _revision = 100;
    private TaskCompletionSource? _suspended;
    private long _compactedThrough;

    public KubeObjectStore(IEnumerable<KubeResourceType> types) => _types = types.ToDictionary(t => t.Plural, StringComparer.Ordinal);

    public sealed record KubeEvent(long Revision, string Plural, string? Namespace, string Type, JsonObject Object);

    private sealed record Watch(string Plural, string? Namespace, bool Bookmarks, Channel<string> Lines);

    public KubeResourceType? TypeOf(string plural) => _types.GetValueOrDefault(plural);

    public long Revision { get { lock (_gate) return _revision; } }

    /// <summary>
    /// How a watch from compacted history is refused: by default as the API server does for a watch already under way
    /// (200 and an ERROR event with Status 410); set, as it does when refusing the request itself (HTTP 410 Gone).
    /// </summary>
    public bool ExpireWithHttpStatus { get; set; }

    /// <summary>Creates or replaces an object (kind, name and namespace from its own JSON); bumps generation on a spec change.</summary>
    public JsonObject Apply(KubeResourceType type, JsonObject obj)
    {
        lock (_gate)
        {
            var copy = obj.DeepClone().AsObject();
            var meta = copy["metadata"]!.AsObject();
            var key = (type.Plural, type.Namespaced ? (string)meta["namespace"]! : "", (string)meta["name"]!);
            var existed = _objects.TryGetValue(key, out var previous);
            copy["apiVersion"] = type.GroupVersion;
            copy["kind"] = type.Kind;
            meta["uid"] = previous?["metadata"]?["uid"]?.DeepClone() ?? Guid.NewGuid().ToString();
            meta["creationTimestamp"] = previous?["metadata"]?["creationTimestamp"]?.DeepClone() ?? "2026-01-01T00:00:00Z";
            var generation = (long?)previous?["metadata"]?["generation"] ?? 0;
            var specChanged = previous is null || !JsonNode.DeepEquals(previous["spec"], copy["spec"]);
            meta["generation"] = specChanged ? generation + 1 : generation;
            if (previous is not null && !copy.ContainsKey("status") && previous["status"] is { } status) copy["status"] = status.DeepClone();
            Record(type, key, copy, existed ? "MODIFIED" : "ADDED");
            return copy.DeepClone().AsObject();
        }
    }

    public bool Delete(KubeResourceType type, string? ns, string name)
    {
        lock (_gate)
        {
            var key = (type.Plural, ns ?? "", name);
            if (!_objects.Remove(key, out var removed)) return false;
            _revision++;
            removed["metadata"]!["resourceVersion"] = _revision.ToString(CultureInfo.InvariantCulture);
            Publish(new KubeEvent(_revision, type.Plural, ns, "DELETED", removed));
            return true;
        }
    }

    /// <summary>Replaces only the status of an object (the status subresource); null when there is no such object.</summary>
    public JsonObject? ReplaceStatus(KubeResourceType type, string? ns, string name, JsonNode? status)
    {
        lock (_gate)
        {
            var key = (type.Plural, ns ?? "", name);
            if (!_objects.TryGetValue(key, out var current)) return null;
            var copy = current.DeepClone().AsObject();
            copy["status"] = status?.DeepClone();
            Record(type, key, copy, "MODIFIED");
            return copy.DeepClone().AsObject();
        }
    }

    public JsonObject? Get(KubeResourceType type, string? ns, string name)
    {
        lock (_gate) return _objects.TryGetValue((type.Plural, ns ?? "", name), out var obj) ? obj.DeepClone().AsObject() : null;
    }

    /// <summary>Objects of a type (in one namespace or all), and the revision the list is consistent with.</summary>
    public (List<JsonObject> Items, long Revision) List(KubeResourceType type, string? ns)
    {
        lock (_gate)
        {
            Count("list " + type.Plural);
            var items = _objects.Where(p => p.Key.Plural == type.Plural && (ns is null || p.Key.Namespace == ns))
                .OrderBy(p => p.Key.Namespace, StringComparer.Ordinal).ThenBy(p => p.Key.Name, StringComparer.Ordinal)
                .Select(p => p.Value.DeepClone().AsObject()).ToList();
            return (items, _revision);
        }
    }

    /// <summary>
    /// Opens a watch from <paramref name="fromRevision"/>: the lines to send first (replayed history, or one 410 ERROR
    /// when that history was compacted) and the channel later events arrive on.
    /// </summary>
    public (List<string> First, ChannelReader<string>? Live, bool Expired) OpenWatch(KubeResourceType type, string? ns, long? fromRevision, bool bookmarks)
    {
        lock (_gate)
        {
            Count("watch " + type.Plural);
            _watchResourceVersions.Add($"{type.Plural}@{fromRevision?.ToString(CultureInfo.InvariantCulture) ?? "-"}");
            var start = fromRevision ?? _revision;
            if (start < _compactedThrough) return ([ExpiredLine(start)], null, true);
            var first = _history.Where(e => e.Revision > start && e.Plural == type.Plural && (ns is null || e.Namespace == ns)).Select(Line).ToList();
            var watch = new Watch(type.Plural, ns, bookmarks, Channel.CreateUnbounded<string>());
            _watches.Add(watch);
            return (first, watch.Lines.Reader, false);
        }
    }

    /// <summary>Forgets history up to now and ends every open watch with a 410 ERROR event: clients must list again.</summary>
    public void Compact()
    {
        lock (_gate)
        {
            _compactedThrough = _revision;
            _history.Clear();
            foreach (var watch in _watches)
            {
                watch.Lines.Writer.TryWrite(ExpiredLine(_revision - 1));
                watch.Lines.Writer.TryComplete();
            }
            _watches.Clear();
        }
    }

    /// <summary>Advances the revision (as changes to unrelated objects do) and tells bookmark-asking watches of it.</summary>
    public long SendBookmark()
    {
        lock (_gate)
        {
            _revision += 10;
            foreach (var watch in _watches.Where(w => w.Bookmarks))
            {
                var type = _types[watch.Plural];
                var obj = new JsonObject
                {
                    ["kind"] = type.Kind,
                    ["apiVersion"] = type.GroupVersion,
                    ["metadata"] = new JsonObject { ["resourceVersion"] = _revision.ToString(CultureInfo.InvariantCulture) },
                };
                watch.Lines.Writer.TryWrite(new JsonObject { ["type"] = "BOOKMARK", ["object"] = obj }.ToJsonString());
            }
            return _revision;
        }
    }

    /// <summary>
    /// Ends every open watch and holds new watch requests until <see cref="ResumeWatches"/>: what a client sees while
    /// it is cut off from the server, during which the test may change and compact.
    /// </summary>
    public void SuspendWatches()
    {
        lock (_gate)
        {
            _suspended ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            foreach (var watch in _watches) watch.Lines.Writer.TryComplete();
            _watches.Clear();
        }
    }

    public void ResumeWatches()
    {
        lock (_gate)
        {
            _suspended?.TrySetResult();
            _suspended = null;
        }
    }

    /// <summary>Completes when watch requests may be answered.</summary>
    public Task WatchGate
    {
        get { lock (_gate) return _suspended?.Task ?? Task.CompletedTask; }
    }

    /// <summary>Ends every open watch cleanly, as the server does when a watch's timeout passes.</summary>
    public void CloseAllWatches()
    {
        lock (_gate)
        {
            foreach (var watch in _watches) watch.Lines.Writer.TryComplete();
            _watches.Clear();
        }
    }

    public void ForgetWatch(ChannelReader<string> reader)
    {
        lock (_gate) _watches.RemoveAll(w => w.Lines.Reader == reader);
    }

    public int Calls(string what)
    {
        lock (_gate) return _calls.GetValueOrDefault(what);
    }

    /// <summary>Each watch request as <c>plural@resourceVersion</c>, in order.</summary>
    public List<string> WatchRequests()
    {
        lock (_gate) return [.. _watchResourceVersions];
    }

    private void Count(string what) => _calls[what] = _calls.GetValueOrDefault(what) + 1;

    private void Record(KubeResourceType type, (string Plural, string Namespace, string Name) key, JsonObject obj, string eventType)
    {
        _revision++;
        obj["metadata"]!["resourceVersion"] = _revision.ToString(CultureInfo.InvariantCulture);
        _objects[key] = obj;
        Publish(new KubeEvent(_revision, type.Plural, type.Namespaced ? key.Namespace : null, eventType, obj.DeepClone().AsObject()));
    }

    private void Publish(KubeEvent e)
    {
        _history.Add(e);
        var line = Line(e);
        foreach (var watch in _watches.Where(w => w.Plural == e.Plural && (w.Namespace is null || w.Namespace == e.Namespace)))
            watch.Lines.Writer.TryWrite(line);
    }

    private static string Line(KubeEvent e) => new JsonObject { ["type"] = e.Type, ["object"] = e.Object.DeepClone() }.ToJsonString();

    private static string ExpiredLine(long revision) => new JsonObject { ["type"] = "ERROR", ["object"] = ExpiredStatus(revision) }.ToJsonString();

    public static JsonObject ExpiredStatus(long revision) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = $"too old resource version: {revision.ToString(CultureInfo.InvariantCulture)}",
        ["reason"] = "Expired",
        ["code"] = 410,
    };
}
