namespace Kuma.Policies.Rules;

/// <summary>Which part of which policy contributed to a merged result (for inspect endpoints and names in Envoy config).</summary>
/// <param name="Section"><c>default</c>, <c>to</c>, <c>from</c> or <c>rules</c>.</param>
/// <param name="Index">Position of the entry in that section (0 for <c>default</c>).</param>
public sealed record PolicyOrigin(string Policy, string Section, int Index)
{
    /// <summary>The policy's mesh, and its zone and namespace labels: with the name, what Kuma's resource identifier (KRI) is made of.</summary>
    public string Mesh { get; init; } = "";
    public string Zone { get; init; } = "";
    public string Namespace { get; init; } = "";

    /// <summary>The origin of an entry of <paramref name="policy"/>, carrying the policy's identity.</summary>
    public static PolicyOrigin Of(PolicyItem policy, string section, int index)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new PolicyOrigin(policy.Name, section, index)
        {
            Mesh = policy.Mesh,
            Zone = policy.Labels.GetValueOrDefault(PolicyLabels.Zone, ""),
            Namespace = policy.Labels.GetValueOrDefault(PolicyLabels.Namespace, ""),
        };
    }

    /// <summary>Kuma's resource identifier of the policy: <c>kri_&lt;short name&gt;_&lt;mesh&gt;_&lt;zone&gt;_&lt;namespace&gt;_&lt;name&gt;_</c>.</summary>
    public string Kri(string typeShortName) => $"kri_{typeShortName}_{Mesh}_{Zone}_{Namespace}_{Policy}_";
}
