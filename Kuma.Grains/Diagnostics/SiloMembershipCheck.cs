using Microsoft.Extensions.DependencyInjection;

namespace Kuma.Diagnostics;

/// <summary>Ready needs this silo to be Active in the membership table: joining, shutting down or declared dead is not.</summary>
internal sealed class SiloMembershipCheck(IClusterMembershipService membership, ILocalSiloDetails local) : ISiloMembershipCheck
{
    public string? Problem()
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(local.SiloAddress);
        return status == SiloStatus.Active ? null : $"this silo is {status} in the cluster's membership, not Active";
    }
}

public static class SiloDiagnostics
{
    /// <summary>For a host that runs a silo: its membership becomes part of the diagnostics port's readiness.</summary>
    public static IServiceCollection AddSiloMembershipCheck(this IServiceCollection services) =>
        services.AddSingleton<ISiloMembershipCheck, SiloMembershipCheck>();
}
