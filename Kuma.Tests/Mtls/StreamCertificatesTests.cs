using Kuma.Gateway.Dp.Sds;
using Kuma.Grains;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kuma.Tests.Mtls;

/// <summary>When a stream asks its mesh's CA again, and what it serves meanwhile, with a CA that answers as a test says.</summary>
public sealed class StreamCertificatesTests
{
    private const string MtlsOn = """{"mtls":{"enabledBackend":"ca-1","backends":[{"name":"ca-1","type":"builtin"}]}}""";

    private sealed class ScriptedCa(FakeTimeProvider clock) : IMeshCaGrain
    {
        public Queue<string?> Errors { get; } = new();
        public List<IdentityRequest> Requests { get; } = [];
        public bool MtlsEnabled { get; set; } = true;

        public Task<IssuedIdentity> Issue(IdentityRequest request)
        {
            Requests.Add(request);
            if (!MtlsEnabled) return Task.FromResult(IssuedIdentity.MtlsOff);
            if (Errors.TryDequeue(out var error) && error is not null) return Task.FromResult(new IssuedIdentity(true, "ca-1", Error: error));
            var now = clock.GetUtcNow();
            return Task.FromResult(new IssuedIdentity(true, "ca-1", $"LEAF {Requests.Count}", "CA", now.AddSeconds(-10), now.AddHours(10)));
        }

        public List<(string MeshUid, string Dataplane, string Backend)> Held { get; } = [];

        public Task Holds(string meshUid, string dataplane, string backend)
        {
            Held.Add((meshUid, dataplane, backend));
            return Task.CompletedTask;
        }
    }

    private static MeshContext Mesh(string service, string meshSpec = MtlsOn) =>
        InProcessMesh.Build(
            [("a", """{"networking":{"address":"10.0.0.1","inbound":[{"port":8080,"servicePort":80,"tags":{"kuma.io/service":"@S@"}}]}}""".Replace("@S@", service, StringComparison.Ordinal))],
            meshSpec: meshSpec);

    private static (StreamCertificates Certificates, ScriptedCa Ca, FakeTimeProvider Clock) Create()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var ca = new ScriptedCa(clock);
        var certificateClock = new CertificateClock(clock);
        return (new StreamCertificates(ca, new CaRollout(certificateClock, TimeSpan.FromMinutes(5)), "m1", "a", certificateClock, NullLogger.Instance), ca, clock);
    }

    [Fact]
    public async Task A_mesh_grain_activated_anew_hears_once_per_stream_which_leaf_it_holds_and_only_under_PERMISSIVE()
    {
        var (certificates, ca, _) = Create();
        using var _ = certificates;
        var permissive = MtlsOn.Replace("builtin\"}", "builtin\",\"mode\":\"PERMISSIVE\"}", StringComparison.Ordinal);
        MeshContext At(Guid epoch) => MeshContext.Build(Mesh("a", permissive).Snapshot with { TlsReadiness = new TlsReadiness(epoch, []) });
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());

        Assert.True(await certificates.RefreshAsync(At(first))); // issued: the CA tells the mesh grain itself
        Assert.False(await certificates.RefreshAsync(At(first)));
        Assert.Empty(ca.Held);
        Assert.False(await certificates.RefreshAsync(At(second)));
        Assert.False(await certificates.RefreshAsync(At(second)));
        Assert.Equal([(Mesh("a").Snapshot.MeshResource.Uid, "a", "ca-1")], ca.Held);
        Assert.Single(ca.Requests);

        // STRICT keeps no readiness: the new leaf its settings ask for is told of by nobody.
        Assert.True(await certificates.RefreshAsync(Mesh("a")));
        Assert.False(await certificates.RefreshAsync(Mesh("a")));
        Assert.Single(ca.Held);
    }

    [Fact]
    public async Task A_refused_issue_is_tried_again_with_backoff_and_served_once_it_succeeds()
    {
        var (certificates, ca, clock) = Create();
        using var _ = certificates;
        ca.Errors.Enqueue("CA unreachable");
        ca.Errors.Enqueue("CA unreachable");
        var mesh = Mesh("a");

        Assert.False(await certificates.RefreshAsync(mesh));
        Assert.Empty(certificates.Secrets);
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(certificates.RenewalDue.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(certificates.RenewalDue.IsCompleted);
        Assert.False(await certificates.RefreshAsync(mesh)); // refused again: the next try waits twice as long
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(certificates.RenewalDue.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(certificates.RenewalDue.IsCompleted);
        Assert.True(await certificates.RefreshAsync(mesh));
        Assert.Equal(["identity_cert:secret:m1", "mesh_ca:secret:m1"], certificates.Secrets.Keys);
        Assert.Equal(3, ca.Requests.Count);
    }

    [Fact]
    public async Task Only_a_change_of_tags_or_mTLS_settings_or_the_renewal_time_asks_the_CA_again()
    {
        var (certificates, ca, clock) = Create();
        using var _ = certificates;
        Assert.True(await certificates.RefreshAsync(Mesh("a")));
        Assert.False(await certificates.RefreshAsync(Mesh("a"))); // another generation, same identity
        Assert.Single(ca.Requests);
        Assert.Equal("a", Assert.Single(ca.Requests[0].Tags["kuma.io/service"]));

        Assert.True(await certificates.RefreshAsync(Mesh("a-renamed")));
        Assert.Equal("a-renamed", Assert.Single(ca.Requests[^1].Tags["kuma.io/service"]));
        Assert.True(await certificates.RefreshAsync(Mesh("a-renamed", MtlsOn.Replace("builtin\"}", "builtin\",\"mode\":\"PERMISSIVE\"}", StringComparison.Ordinal))));
        Assert.Equal(3, ca.Requests.Count);

        // 10 h certificates are renewed at 8 h, not before.
        clock.Advance(TimeSpan.FromHours(8) - TimeSpan.FromSeconds(1));
        Assert.False(certificates.RenewalDue.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(certificates.RenewalDue.IsCompleted);
        Assert.True(await certificates.RefreshAsync(Mesh("a-renamed", MtlsOn.Replace("builtin\"}", "builtin\",\"mode\":\"PERMISSIVE\"}", StringComparison.Ordinal))));
        Assert.Equal(4, ca.Requests.Count);
    }

    [Fact]
    public async Task mTLS_turned_off_or_a_proxy_without_a_service_clears_the_secrets()
    {
        var (certificates, ca, _) = Create();
        using var __ = certificates;
        Assert.True(await certificates.RefreshAsync(Mesh("a")));
        Assert.True(await certificates.RefreshAsync(Mesh("a", "{}")));
        Assert.Empty(certificates.Secrets);
        Assert.Single(ca.Requests); // the mesh itself says mTLS is off: the CA is not asked

        Assert.True(await certificates.RefreshAsync(Mesh("a")));
        ca.MtlsEnabled = false; // the CA knows better (a newer generation turned it off)
        Assert.True(await certificates.RefreshAsync(Mesh("b")));
        Assert.Empty(certificates.Secrets);
        Assert.False(await certificates.RefreshAsync(null));
    }
}
