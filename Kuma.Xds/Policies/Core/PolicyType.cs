using Kuma.Policies.Rules;
using Kuma.Resources;

namespace Kuma.Policies;

/// <summary>
/// One policy type as the pipeline sees it: how its resources are stored and validated, how its
/// <c>default</c> blocks merge, and the plugin that turns merged rules into Envoy changes (none for
/// types that only validate for now).
/// </summary>
public sealed record PolicyType(ResourceDescriptor Descriptor, PolicyPlugin? Plugin)
{
    public string Name => Descriptor.Name;
    public MergeRules Merge { get; } = MergeRules.ForPolicyType(Descriptor.Name);
}
