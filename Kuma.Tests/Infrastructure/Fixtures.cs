namespace Kuma.Tests.Infrastructure;

/// <summary>One memory-store control plane shared by a test class.</summary>
public sealed class MemoryControlPlaneFixture : IAsyncLifetime
{
    public ControlPlane ControlPlane { get; private set; } = null!;

    public async Task InitializeAsync() => ControlPlane = await ControlPlane.StartAsync();

    public async Task DisposeAsync() => await ControlPlane.DisposeAsync();
}

/// <summary>A memory-store control plane whose DP server speaks plaintext HTTP/2, as proxyless test clients need.</summary>
public sealed class PlaintextDpFixture : IAsyncLifetime
{
    public ControlPlane ControlPlane { get; private set; } = null!;

    public string DpAddress => $"http://127.0.0.1:{ControlPlane.DpPort}";

    public async Task InitializeAsync() =>
        ControlPlane = await ControlPlane.StartAsync(extra: new Dictionary<string, string>
        {
            ["KUMA_DP_SERVER_TLS_ENABLED"] = "false",
            ["KUMA_DP_SERVER_SELF_REGISTERED_CLEANUP_DELAY"] = "1s",
            ["KUMA_DP_SERVER_WRITE_TIMEOUT"] = "2s",
        });

    public async Task DisposeAsync() => await ControlPlane.DisposeAsync();
}
