using Kuma.Configuration;

namespace Kuma.Gateway.Dp;

/// <summary>The DP server: ADS for proxies and <c>POST /bootstrap</c>, on one port.</summary>
public sealed record DpServerOptions
{
    public string Interface { get; init; } = "0.0.0.0";
    public int Port { get; init; } = 5678;
    public bool TlsEnabled { get; init; } = true;
    /// <summary>How long a dataplane that registered itself outlives its last stream.</summary>
    public TimeSpan SelfRegisteredCleanupDelay { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>
    /// How long a self-registering stream's hold on its dataplane lasts unless its gateway renews it (a third
    /// of this apart). When a gateway dies without a word, its proxies' dataplanes go after this plus the delay.
    /// </summary>
    public TimeSpan SelfRegisteredLease { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>On shutdown, how long streams get to end cleanly (UNAVAILABLE, then GOAWAY) before connections are cut.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>A proxy that does not take a response within this time loses its stream (it reconnects and catches up).</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// After pushing a mesh's generation, a node waits this long before taking the mesh's next one: the
    /// first change after a quiet spell goes out at once, a mesh that changes all the time is pushed at
    /// most this often, and its churn does not crowd out other tenants.
    /// </summary>
    public TimeSpan MeshPushInterval { get; init; } = TimeSpan.FromMilliseconds(100);
    /// <summary>Refused dataplane tokens one source address may present per minute before it is refused unheard (0: no limit).</summary>
    public int AuthFailuresPerMinute { get; init; } = 600;
    /// <summary>
    /// During a mesh CA rotation, the longest the previous backend keeps signing while this node waits for its proxies
    /// to acknowledge a CA bundle holding the new backend (it stops at once when all have).
    /// </summary>
    public TimeSpan CaRolloutGrace { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>A DP connection older than this (±10 %) has its streams ended with UNAVAILABLE and gets GOAWAY, so proxies spread again after a scale-out (0: never).</summary>
    public TimeSpan MaxConnectionAge { get; init; } = TimeSpan.FromMinutes(30);
    /// <summary>How long a connection that reached its age may stay open for its streams to end before it is cut.</summary>
    public TimeSpan MaxConnectionAgeGrace { get; init; } = TimeSpan.FromSeconds(10);

    public static DpServerOptions From(KumaSettings settings) => new()
    {
        Interface = settings.GetString("KUMA_DP_SERVER_INTERFACE", "0.0.0.0"),
        Port = settings.GetInt("KUMA_DP_SERVER_PORT", 5678),
        TlsEnabled = settings.GetBool("KUMA_DP_SERVER_TLS_ENABLED", true),
        SelfRegisteredCleanupDelay = settings.GetDuration("KUMA_DP_SERVER_SELF_REGISTERED_CLEANUP_DELAY", TimeSpan.FromSeconds(10)),
        SelfRegisteredLease = settings.GetDuration("KUMA_DP_SERVER_SELF_REGISTERED_LEASE", TimeSpan.FromSeconds(30)),
        DrainTimeout = settings.GetDuration("KUMA_DP_SERVER_DRAIN_TIMEOUT", TimeSpan.FromSeconds(5)),
        WriteTimeout = settings.GetDuration("KUMA_DP_SERVER_WRITE_TIMEOUT", TimeSpan.FromSeconds(30)),
        MeshPushInterval = settings.GetDuration("KUMA_DP_SERVER_MESH_PUSH_INTERVAL", TimeSpan.FromMilliseconds(100)),
        AuthFailuresPerMinute = settings.GetInt("KUMA_DP_SERVER_AUTH_FAILURES_PER_MINUTE", 600),
        CaRolloutGrace = settings.GetDuration("KUMA_DP_SERVER_CA_ROLLOUT_GRACE", TimeSpan.FromMinutes(5)),
        MaxConnectionAge = settings.GetDuration("KUMA_DP_SERVER_MAX_CONNECTION_AGE", TimeSpan.FromMinutes(30)),
        MaxConnectionAgeGrace = settings.GetDuration("KUMA_DP_SERVER_MAX_CONNECTION_AGE_GRACE", TimeSpan.FromSeconds(10)),
    };
}
