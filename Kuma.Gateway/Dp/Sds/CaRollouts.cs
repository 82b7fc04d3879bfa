using Kuma.Grains;

namespace Kuma.Gateway.Dp.Sds;

/// <summary>The <see cref="CaRollout"/> of each mesh with streams on this node; one is dropped with its last stream.</summary>
public sealed class CaRollouts(CertificateClock clock, DpServerOptions options)
{
    private readonly Dictionary<(string Tenant, string Mesh), CaRollout> _meshes = [];
    private readonly Lock _lock = new();

    internal CaRollout Enter(string tenant, string mesh)
    {
        lock (_lock)
        {
            if (!_meshes.TryGetValue((tenant, mesh), out var rollout)) _meshes[(tenant, mesh)] = rollout = new CaRollout(clock, options.CaRolloutGrace);
            rollout.Holders++;
            return rollout;
        }
    }

    internal void Exit(string tenant, string mesh, CaRollout rollout)
    {
        lock (_lock)
        {
            if (--rollout.Holders == 0) _meshes.Remove((tenant, mesh));
        }
    }
}
