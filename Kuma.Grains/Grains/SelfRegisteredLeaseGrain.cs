using System.Collections.Immutable;
using Kuma.Store;
using Orleans.Concurrency;

namespace Kuma.Grains;

/// <summary>Pure store work with no state of its own: any silo may do it, as many at once as there are callers.</summary>
[StatelessWorker]
internal sealed class SelfRegisteredLeaseGrain(ISelfRegisteredLeaseStore leases, TimeProvider clock) : Grain, ISelfRegisteredLeaseGrain
{
    public Task Renew(ImmutableArray<LeaseHolder> holders, TimeSpan holdFor) => leases.ExtendAsync(holders, clock.GetUtcNow() + holdFor);
}
