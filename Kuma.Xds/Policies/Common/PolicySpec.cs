namespace Kuma.Policies;

/// <summary>
/// The shape every targetRef policy shares. <typeparamref name="TConf"/> is the <c>default</c> block of
/// <c>to</c>/<c>from</c> entries, <typeparamref name="TRuleConf"/> that of <c>rules</c> entries.
/// Which sections a policy accepts is checked by <see cref="PolicyValidation"/>.
/// </summary>
public class PolicySpec<TConf, TRuleConf> where TConf : class where TRuleConf : class
{
    public TargetRef? TargetRef { get; set; }
    public List<PolicyTo<TConf>>? To { get; set; }
    public List<PolicyFrom<TConf>>? From { get; set; }
    public List<PolicyRule<TRuleConf>>? Rules { get; set; }
}

/// <summary>Most policies use one configuration type for every section.</summary>
public sealed class PolicySpec<TConf> : PolicySpec<TConf, TConf> where TConf : class;

public sealed class PolicyTo<TConf> where TConf : class
{
    public TargetRef? TargetRef { get; set; }
    public TConf? Default { get; set; }
}

public sealed class PolicyFrom<TConf> where TConf : class
{
    public TargetRef? TargetRef { get; set; }
    public TConf? Default { get; set; }
}

public sealed class PolicyRule<TConf> where TConf : class
{
    public List<Match>? Matches { get; set; }
    public TConf? Default { get; set; }
}

/// <summary>Selects callers by identity in inbound rules.</summary>
public sealed class Match
{
    public MatchValue? SpiffeID { get; set; }
    public MatchValue? Sni { get; set; }
}

public sealed class MatchValue
{
    public string? Type { get; set; }
    public string? Value { get; set; }
}
