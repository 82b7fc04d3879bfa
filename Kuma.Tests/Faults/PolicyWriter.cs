using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Faults;

/// <summary>
/// Changes policies without pause while a fault happens: per mesh, a loop that creates a secret <c>w-{k}</c> holding
/// <c>k</c>, then sets the mesh's MeshTimeout for <c>backend</c> to a connect timeout of <c>k</c> seconds (<c>k</c> grows).
/// Every 2xx is recorded as acknowledged; every other outcome as a failure. Once asked to stop, each loop ends right
/// after an acknowledged MeshTimeout write, so the latest acknowledged value is also the latest value attempted.
/// </summary>
public sealed class PolicyWriter : IAsyncDisposable
{
    /// <summary>Well above the default policies' timeouts, so a proxy holding it holds this writer's value.</summary>
    public const long FirstValue = 100;

    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(100);
    private readonly HttpClient _api;
    private readonly Dictionary<string, List<long>> _acknowledgedTimeouts = [];
    private readonly Dictionary<string, List<long>> _acknowledgedSecrets = [];
    private readonly Dictionary<string, DateTime> _lastAcknowledgedAt = [];
    private readonly List<(DateTime At, string What)> _failures = [];
    private readonly List<string> _afterMark = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _giveUp = new();
    private readonly Task<bool[]> _run;
    private long _next = FirstValue;
    private DateTime? _mark;

    /// <param name="after">Values start above this (a second writer on the same meshes takes higher ones).</param>
    public PolicyWriter(HttpClient api, IEnumerable<string> meshes, long after = FirstValue)
    {
        _api = api;
        _next = after;
        var names = meshes.ToList();
        foreach (var mesh in names)
        {
            _acknowledgedTimeouts[mesh] = [];
            _acknowledgedSecrets[mesh] = [];
        }
        _run = Task.WhenAll(names.Select(m => Task.Run(() => WriteAsync(m))));
    }

    /// <summary>Every non-2xx answer or error since <paramref name="since"/>, with when it was sent relative to it.</summary>
    public IReadOnlyList<string> FailuresSince(DateTime since)
    {
        lock (_failures) return [.. _failures.Where(f => f.At >= since).Select(f => $"+{(f.At - since).TotalMilliseconds:0} ms: {f.What}")];
    }

    /// <summary>Notes an instant (a fault); <see cref="AcknowledgedSinceMarkAsync"/> waits for writes acknowledged after it.</summary>
    public void Mark(DateTime at)
    {
        lock (_afterMark)
        {
            _afterMark.Clear();
            _mark = at;
        }
    }

    /// <summary>Waits until every mesh has had a MeshTimeout write acknowledged after the mark.</summary>
    public Task AcknowledgedSinceMarkAsync(TimeSpan timeout) =>
        Eventually.HoldsAsync(() =>
        {
            lock (_afterMark) return Task.FromResult(_afterMark.Distinct().Count() == _acknowledgedTimeouts.Count);
        }, timeout, "every mesh has a write acknowledged after the fault");

    /// <summary>
    /// Stops every loop (each after an acknowledged MeshTimeout write, giving up after 30 s) and returns each mesh's
    /// latest acknowledged value.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, long>> StopAsync()
    {
        await _stop.CancelAsync();
        _giveUp.CancelAfter(TimeSpan.FromSeconds(30));
        var endedOnAcknowledgement = await _run;
        Assert.True(endedOnAcknowledgement.All(a => a), "a writer loop could not get its last MeshTimeout write acknowledged within 30 s");
        lock (_failures) return _acknowledgedTimeouts.ToDictionary(m => m.Key, m => m.Value[^1]);
    }

    /// <summary>Ends the loops at once (a test that failed before <see cref="StopAsync"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _giveUp.CancelAsync();
        await _run;
        _stop.Dispose();
        _giveUp.Dispose();
    }

    private async Task<bool> WriteAsync(string mesh)
    {
        var lastTimeoutAcknowledged = false;
        while (!_stop.IsCancellationRequested || !lastTimeoutAcknowledged)
        {
            if (_giveUp.IsCancellationRequested) return false;
            var k = Interlocked.Increment(ref _next);
            var secret = Base64(k);
            if (await PutAsync($"/meshes/{mesh}/secrets/w-{k}", $$"""{"type":"Secret","mesh":"{{mesh}}","name":"w-{{k}}","data":"{{secret}}"}"""))
            {
                lock (_failures) _acknowledgedSecrets[mesh].Add(k);
            }
            lastTimeoutAcknowledged = await PutAsync($"/meshes/{mesh}/meshtimeouts/fault-timeout", Timeout(mesh, k));
            if (lastTimeoutAcknowledged)
            {
                lock (_failures)
                {
                    _acknowledgedTimeouts[mesh].Add(k);
                    _lastAcknowledgedAt[mesh] = DateTime.UtcNow;
                }
                lock (_afterMark)
                {
                    if (_mark is { } mark && DateTime.UtcNow > mark) _afterMark.Add(mesh);
                }
            }
            await Task.Delay(Pace);
        }
        return true;
    }

    private async Task<bool> PutAsync(string path, string body)
    {
        var started = DateTime.UtcNow;
        try
        {
            using var response = await _api.PutAsync(path, ControlPlane.Json(body));
            if (response.IsSuccessStatusCode) return true;
            Fail(started, $"PUT {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Fail(started, $"PUT {path}: {e.GetType().Name} {e.Message}");
        }
        return false;
    }

    private void Fail(DateTime started, string what)
    {
        lock (_failures) _failures.Add((started, what));
    }

    public static string Timeout(string mesh, long seconds) => $$$"""
        {"type":"MeshTimeout","mesh":"{{{mesh}}}","name":"fault-timeout","spec":{"targetRef":{"kind":"Mesh"},
         "to":[{"targetRef":{"kind":"MeshService","name":"backend"},"default":{"connectionTimeout":"{{{seconds}}}s"}}]}}
        """;

    private static string Base64(long k) => Convert.ToBase64String(Encoding.UTF8.GetBytes(k.ToString(CultureInfo.InvariantCulture)));

    /// <summary>
    /// Reads back everything acknowledged: each mesh's MeshTimeout holds its latest value and every acknowledged
    /// secret exists with its content; the secret list names each secret once. Returns the problems found (none expected).
    /// </summary>
    public async Task<List<string>> LostWritesAsync(HttpClient api)
    {
        var lost = new List<string>();
        foreach (var (mesh, secrets) in _acknowledgedSecrets)
        {
            var timeout = JsonNode.Parse(await api.GetStringAsync($"/meshes/{mesh}/meshtimeouts/fault-timeout"))!;
            var held = timeout["spec"]!["to"]![0]!["default"]!["connectionTimeout"]!.GetValue<string>();
            if (held != $"{_acknowledgedTimeouts[mesh][^1]}s") lost.Add($"{mesh}: MeshTimeout holds {held}, latest acknowledged {_acknowledgedTimeouts[mesh][^1]}s");

            var names = await SecretNamesAsync(api, mesh);
            foreach (var duplicate in names.GroupBy(n => n).Where(g => g.Count() > 1)) lost.Add($"{mesh}: secret {duplicate.Key} listed {duplicate.Count()} times");
            foreach (var k in secrets)
            {
                using var response = await api.GetAsync($"/meshes/{mesh}/secrets/w-{k}");
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    lost.Add($"{mesh}: secret w-{k} answers {(int)response.StatusCode}");
                    continue;
                }
                var data = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!.GetValue<string>();
                if (data != Base64(k)) lost.Add($"{mesh}: secret w-{k} holds {data}, not {Base64(k)}");
                if (!names.Contains($"w-{k}")) lost.Add($"{mesh}: secret w-{k} missing from the list");
            }
        }
        return lost;
    }

    /// <summary>Every secret name of a mesh, following the list's pages.</summary>
    public static async Task<List<string>> SecretNamesAsync(HttpClient api, string mesh)
    {
        var names = new List<string>();
        string? next = $"/meshes/{mesh}/secrets?size=1000";
        while (next is not null)
        {
            var page = JsonNode.Parse(await api.GetStringAsync(next))!;
            names.AddRange(page["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()));
            next = page["next"]?.GetValue<string>();
        }
        return names;
    }

    /// <summary>When each mesh's latest MeshTimeout write was acknowledged.</summary>
    public IReadOnlyDictionary<string, DateTime> LastAcknowledgedAt
    {
        get
        {
            lock (_failures) return new Dictionary<string, DateTime>(_lastAcknowledgedAt);
        }
    }

    public int AcknowledgedCount
    {
        get
        {
            lock (_failures) return _acknowledgedTimeouts.Values.Sum(v => v.Count) + _acknowledgedSecrets.Values.Sum(v => v.Count);
        }
    }
}
