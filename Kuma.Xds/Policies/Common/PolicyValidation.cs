using Kuma.Resources;
using Kuma.Validation;

namespace Kuma.Policies;

/// <summary>Which targetRef kinds a policy accepts where; the rest of its validation is the policy's own.</summary>
/// <summary>Kuma's per-call switches of its targetRef check.</summary>
/// <param name="GatewayTagsAllowed">A MeshGateway ref may select listeners by tags.</param>
/// <param name="InboundPolicy">The policy has <c>from</c> or <c>rules</c> entries, so a Dataplane ref may name an inbound by sectionName.</param>
public readonly record struct TargetRefOptions(bool GatewayTagsAllowed, bool InboundPolicy);

public sealed record TargetRefRules(string[] Top, string[] To, string[] From)
{
    /// <summary>Narrower <c>to</c> kinds when the top-level targetRef is a gateway or route (Kuma's rule for timeouts and retries).</summary>
    public string[]? ToUnderGatewayOrRoute { get; init; }
}

/// <summary>The checks every targetRef policy shares: sections allowed, targetRef kinds and fields, rule matches.</summary>
public static class PolicyValidation
{
    public static readonly string[] ProxyTypes = ["Sidecar", "Gateway"];

    public static void Validate<TConf>(
        PolicySpec<TConf> spec, FieldPath path, ValidationErrors errors, PolicyShape shape, TargetRefRules kinds,
        Action<TConf, FieldPath, ValidationErrors> validateConf) where TConf : class =>
        Validate<TConf, TConf>(spec, path, errors, shape, kinds, validateConf, validateConf);

    /// <summary>Runs the shared checks, then the policy's own checks on each <c>default</c> block present.</summary>
    public static void Validate<TConf, TRuleConf>(
        PolicySpec<TConf, TRuleConf> spec, FieldPath path, ValidationErrors errors, PolicyShape shape, TargetRefRules kinds,
        Action<TConf, FieldPath, ValidationErrors> validateConf, Action<TRuleConf, FieldPath, ValidationErrors> validateRuleConf)
        where TConf : class where TRuleConf : class
    {
        var topKind = spec.TargetRef?.Kind ?? TargetRefKinds.Mesh;
        if (spec.TargetRef is { } top)
            CheckTargetRef(top, path.Field("targetRef"), kinds.Top, errors);
        var gatewayOrRoute = topKind is TargetRefKinds.MeshGateway or TargetRefKinds.MeshHTTPRoute;

        var toKinds = gatewayOrRoute && kinds.ToUnderGatewayOrRoute is { } narrow ? narrow : kinds.To;
        CheckSection(spec.To, shape.HasTo, path.Field("to"), errors, (item, p) =>
        {
            CheckRequiredTargetRef(item.TargetRef, p.Field("targetRef"), toKinds, errors);
            CheckDefault(item.Default, p.Field("default"), errors, validateConf);
        });
        if (gatewayOrRoute && kinds.ToUnderGatewayOrRoute is not null && spec.From is { Count: > 0 })
            errors.Add(path.Field("from"), "must not be defined");
        else
            CheckSection(spec.From, shape.HasFrom, path.Field("from"), errors, (item, p) =>
            {
                CheckRequiredTargetRef(item.TargetRef, p.Field("targetRef"), kinds.From, errors);
                CheckDefault(item.Default, p.Field("default"), errors, validateConf);
            });
        CheckSection(spec.Rules, shape.HasRules, path.Field("rules"), errors, (item, p) =>
        {
            for (var i = 0; i < (item.Matches?.Count ?? 0); i++) CheckMatch(item.Matches![i], p.Field("matches").Index(i), errors);
            CheckDefault(item.Default, p.Field("default"), errors, validateRuleConf);
        });

        // Sections the policy does not have were reported above and do not count as defined.
        var to = shape.HasTo ? spec.To?.Count ?? 0 : 0;
        var from = shape.HasFrom ? spec.From?.Count ?? 0 : 0;
        var rules = shape.HasRules ? spec.Rules?.Count ?? 0 : 0;
        if (rules > 0 && to + from > 0)
            errors.Add(path, shape.HasTo ? "fields 'to' and 'from' must be empty when 'rules' is defined" : "field 'from' must be empty when 'rules' is defined");
        if (to + from + rules == 0 && !(shape is { HasTo: true, HasFrom: false, HasRules: false }))
            errors.Add(path, $"at least one of {Sections(shape)} has to be defined");
    }

    private static string Sections(PolicyShape shape)
    {
        var names = new[] { shape.HasFrom ? "'from'" : null, shape.HasTo ? "'to'" : null, shape.HasRules ? "'rules'" : null }
            .OfType<string>().ToList();
        return names.Count <= 1 ? string.Concat(names) : $"{string.Join(", ", names[..^1])} or {names[^1]}";
    }

    private static void CheckSection<T>(List<T>? items, bool allowed, FieldPath path, ValidationErrors errors, Action<T, FieldPath> check)
    {
        if (items is null) return;
        if (!allowed)
        {
            errors.Add(path, "this policy does not support this section");
            return;
        }
        for (var i = 0; i < items.Count; i++) check(items[i], path.Index(i));
    }

    private static void CheckDefault<TConf>(TConf? conf, FieldPath path, ValidationErrors errors, Action<TConf, FieldPath, ValidationErrors> validate)
        where TConf : class
    {
        if (conf is null)
        {
            errors.Add(path, "must be defined");
            return;
        }
        validate(conf, path, errors);
    }

    private static void CheckRequiredTargetRef(TargetRef? targetRef, FieldPath path, string[] kinds, ValidationErrors errors)
    {
        if (targetRef is null)
        {
            errors.Add(path, "must be defined");
            return;
        }
        CheckTargetRef(targetRef, path, kinds, errors);
    }

    /// <summary>An inbound rule match as MeshTimeout judges it: Kuma's shared checks, then at least one selector and the spiffeID type.</summary>
    public static void CheckMatch(Match match, FieldPath path, ValidationErrors errors)
    {
        CheckMatchValues(match, path, errors);
        if (match.SpiffeID is null && match.Sni is null)
        {
            errors.Add(path, "must specify at least one of 'spiffeID' or 'sni'");
            return;
        }
        if (match.SpiffeID is { } spiffe)
        {
            var p = path.Field("spiffeID").Field("type");
            if (string.IsNullOrEmpty(spiffe.Type)) errors.Add(p, "must be set");
            else if (spiffe.Type is not ("Exact" or "Prefix")) errors.Add(p, $"unrecognized type \"{spiffe.Type}\", supported values are: Exact, Prefix");
        }
    }

    /// <summary>
    /// Kuma's targetRef rules, per kind, in the order Kuma reports them. Kinds outside <paramref name="kinds"/>
    /// stop the check; MeshMultiZoneService has no further rules.
    /// </summary>
    public static void CheckTargetRef(TargetRef targetRef, FieldPath path, string[] kinds, ValidationErrors errors, TargetRefOptions options = default)
    {
        var kind = targetRef.Kind;
        if (string.IsNullOrEmpty(kind))
        {
            errors.Add(path.Field("kind"), "must be defined");
            return;
        }
        if (!kinds.Contains(kind))
        {
            errors.Add(path.Field("kind"), $"value '{kind}' is not supported");
            return;
        }

        void Forbid(bool present, string field)
        {
            if (present) errors.Add(path.Field(field), $"must not be set with kind {kind}");
        }
        var hasName = targetRef.Name is { Length: > 0 };
        var hasLabels = targetRef.Labels is { Count: > 0 };
        var hasNamespace = targetRef.Namespace is { Length: > 0 };
        var hasTags = targetRef.Tags is { Count: > 0 };
        var hasMesh = targetRef.Mesh is { Length: > 0 };
        var hasSection = targetRef.SectionName is { Length: > 0 };
        var hasProxyTypes = targetRef.ProxyTypes is { Count: > 0 };
        void NameOrLabels(string conflict)
        {
            if (!hasLabels && !hasName) errors.Add(path, $"name or labels must be set when kind is {kind}");
            if (hasLabels && (hasName || hasNamespace)) errors.Add(path.Field("labels"), conflict);
        }
        const string LabelsOrNameAndNamespace = "either labels or name and namespace must be specified";

        switch (kind)
        {
            case TargetRefKinds.Mesh:
                if (hasName) errors.Add(path.Field("name"), $"using name with kind {kind} is not yet supported");
                Forbid(hasMesh, "mesh");
                Forbid(hasTags, "tags");
                Forbid(hasLabels, "labels");
                Forbid(hasNamespace, "namespace");
                Forbid(hasSection, "sectionName");
                CheckProxyTypes(targetRef.ProxyTypes, path.Field("proxyTypes"), errors);
                break;
            case TargetRefKinds.Dataplane:
                Forbid(hasTags, "tags");
                Forbid(hasMesh, "mesh");
                Forbid(hasProxyTypes, "proxyTypes");
                if (hasLabels && (hasName || hasNamespace)) errors.Add(path.Field("labels"), LabelsOrNameAndNamespace);
                if (!options.InboundPolicy && hasSection) errors.Add(path.Field("sectionName"), "can only be used with inbound policies");
                break;
            case TargetRefKinds.MeshSubset:
                Forbid(hasName, "name");
                Forbid(hasMesh, "mesh");
                TagRules.Check(targetRef.Tags, path.Field("tags"), errors, selector: false);
                Forbid(hasLabels, "labels");
                Forbid(hasNamespace, "namespace");
                Forbid(hasSection, "sectionName");
                CheckProxyTypes(targetRef.ProxyTypes, path.Field("proxyTypes"), errors);
                break;
            case TargetRefKinds.MeshService:
                CheckName(targetRef.Name, path, errors);
                Forbid(hasMesh, "mesh");
                Forbid(hasTags, "tags");
                Forbid(hasProxyTypes, "proxyTypes");
                NameOrLabels(LabelsOrNameAndNamespace);
                break;
            case TargetRefKinds.MeshHTTPRoute:
                CheckName(targetRef.Name, path, errors);
                Forbid(hasMesh, "mesh");
                Forbid(hasTags, "tags");
                Forbid(hasProxyTypes, "proxyTypes");
                Forbid(hasSection, "sectionName");
                NameOrLabels(LabelsOrNameAndNamespace);
                break;
            case TargetRefKinds.MeshServiceSubset or TargetRefKinds.MeshGateway:
                if (!hasName) errors.Add(path.Field("name"), $"must be set when kind is {kind}");
                CheckName(targetRef.Name, path, errors);
                Forbid(hasMesh, "mesh");
                Forbid(hasProxyTypes, "proxyTypes");
                TagRules.Check(targetRef.Tags, path.Field("tags"), errors, selector: true);
                if (kind == TargetRefKinds.MeshGateway && !options.GatewayTagsAllowed) Forbid(hasTags, "tags");
                Forbid(hasLabels, "labels");
                Forbid(hasNamespace, "namespace");
                Forbid(hasSection, "sectionName");
                break;
            case TargetRefKinds.MeshExternalService:
                CheckName(targetRef.Name, path, errors);
                Forbid(hasMesh, "mesh");
                Forbid(hasTags, "tags");
                Forbid(hasProxyTypes, "proxyTypes");
                NameOrLabels("either labels or name must be specified");
                Forbid(hasSection, "sectionName");
                break;
        }
    }

    private static void CheckName(string? name, FieldPath path, ValidationErrors errors)
    {
        if (name is { Length: > 0 } && !name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-' or '_'))
            errors.Add(path.Field("name"), "invalid characters: must consist of lower case alphanumeric characters, '-', '.' and '_'.");
    }

    private static void CheckProxyTypes(List<string>? proxyTypes, FieldPath path, ValidationErrors errors)
    {
        if (proxyTypes is null) return;
        if (proxyTypes.Count == 0) errors.Add(path, "must be undefined or have at least one element");
        for (var i = 0; i < proxyTypes.Count; i++)
        {
            // Kuma's schema allows only these two; its validator never sees anything else.
            if (!ProxyTypes.Contains(proxyTypes[i])) errors.Add(path.Index(i), "should be one of [Sidecar, Gateway]");
        }
    }

    /// <summary>
    /// Kuma's check of one inbound match (spiffeID must parse, sni needs an Exact type and a DNS name); the
    /// rules each policy adds on top (at least one of the two, spiffeID type) are the policy's.
    /// </summary>
    public static void CheckMatchValues(Match match, FieldPath path, ValidationErrors errors)
    {
        if (match.SpiffeID is { } spiffe && SpiffeIds.Check(spiffe.Value) is { } problem)
            errors.Add(path.Field("spiffeID"), $"must be a valid Spiffe ID: {problem}");
        if (match.Sni is { } sni)
        {
            var p = path.Field("sni");
            if (string.IsNullOrEmpty(sni.Type)) errors.Add(p.Field("type"), "must be set");
            else if (sni.Type != "Exact") errors.Add(p.Field("type"), $"unrecognized type \"{sni.Type}\", supported values are: Exact");
            if (string.IsNullOrEmpty(sni.Value)) errors.Add(p.Field("value"), "must be set");
            else foreach (var reason in TagRules.Rfc1123SubdomainProblems(sni.Value)) errors.Add(p.Field("value"), reason);
        }
    }
}
