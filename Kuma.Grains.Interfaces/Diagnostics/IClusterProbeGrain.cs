namespace Kuma.Diagnostics;

/// <summary>
/// The cheapest call into the cluster: no state, no store. A node that gets an answer within a second or two
/// reaches at least one silo; one that does not is cut off from the cluster.
/// </summary>
[Alias("kuma.IClusterProbeGrain")]
public interface IClusterProbeGrain : IGrainWithIntegerKey
{
    [Alias("Ping")] Task Ping();
}

/// <summary>A silo's own view of whether it is an Active member of the cluster (null when it is, else why not).</summary>
public interface ISiloMembershipCheck
{
    string? Problem();
}
