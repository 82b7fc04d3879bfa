namespace Kuma.Tests.Infrastructure;

/// <summary>One memory-store control plane shared by a test class.</summary>
public sealed class MemoryControlPlaneFixture : IAsyncLifetime
{
    public ControlPlane ControlPlane { get; private set; } = null!;

    public async Task InitializeAsync() => ControlPlane = await ControlPlane.StartAsync();

    public async Task DisposeAsync() => await ControlPlane.DisposeAsync();
}
