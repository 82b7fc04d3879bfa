using Kuma.Resources;
using Kuma.Validation;

namespace Kuma.Policies;

/// <summary>Which targetRef kinds a policy accepts where; the rest of its validation is the policy's own.</summary>
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
            CheckTargetRef(top, path.Field("targetRef"), kinds.Top, errors, topLevel: true);
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
        CheckTargetRef(targetRef, path, kinds, errors, topLevel: false);
    }

    public static void CheckMatch(Match match, FieldPath path, ValidationErrors errors)
    {
        if (match.SpiffeID is null && match.Sni is null)
        {
            errors.Add(path, "must specify at least one of 'spiffeID' or 'sni'");
            return;
        }
        if (match.SpiffeID is { } spiffe)
        {
            var p = path.Field("spiffeID");
            if (string.IsNullOrEmpty(spiffe.Type)) errors.Add(p.Field("type"), "must be set");
            else if (spiffe.Type is not ("Exact" or "Prefix")) errors.Add(p.Field("type"), $"unrecognized type \"{spiffe.Type}\", supported values are: Exact, Prefix");
            if (string.IsNullOrEmpty(spiffe.Value) || !spiffe.Value.StartsWith("spiffe://", StringComparison.Ordinal))
                errors.Add(p, "must be a valid Spiffe ID: scheme is missing or invalid");
        }
        if (match.Sni is { } sni)
        {
            var p = path.Field("sni");
            if (string.IsNullOrEmpty(sni.Type)) errors.Add(p.Field("type"), "must be set");
            else if (sni.Type != "Exact") errors.Add(p.Field("type"), $"unrecognized type \"{sni.Type}\", supported values are: Exact");
            if (string.IsNullOrEmpty(sni.Value)) errors.Add(p.Field("value"), "must be set");
        }
    }

    public static void CheckTargetRef(TargetRef targetRef, FieldPath path, string[] kinds, ValidationErrors errors, bool topLevel)
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

        var allowed = AllowedFields(kind);
        void Forbid(bool present, string field)
        {
            if (present && !allowed.Contains(field)) errors.Add(path.Field(field), $"must not be set with kind {kind}");
        }
        Forbid(targetRef.Mesh is { Length: > 0 }, "mesh");
        Forbid(targetRef.Tags is { Count: > 0 }, "tags");
        Forbid(targetRef.Labels is { Count: > 0 }, "labels");
        Forbid(targetRef.Namespace is { Length: > 0 }, "namespace");
        Forbid(targetRef.SectionName is { Length: > 0 }, "sectionName");
        Forbid(targetRef.ProxyTypes is not null, "proxyTypes");
        if (kind == TargetRefKinds.Mesh && targetRef.Name is { Length: > 0 })
            errors.Add(path.Field("name"), "using name with kind Mesh is not yet supported");
        else if (kind == TargetRefKinds.MeshSubset) Forbid(targetRef.Name is { Length: > 0 }, "name");

        var byNameOrLabels = kind is TargetRefKinds.MeshService or TargetRefKinds.MeshExternalService
            or TargetRefKinds.MeshMultiZoneService or TargetRefKinds.MeshHTTPRoute or TargetRefKinds.Dataplane;
        var nameRequired = kind is TargetRefKinds.MeshServiceSubset or TargetRefKinds.MeshGateway;
        var hasName = targetRef.Name is { Length: > 0 };
        var hasLabels = targetRef.Labels is { Count: > 0 };
        if (nameRequired && !hasName) errors.Add(path.Field("name"), $"must be set when kind is {kind}");
        if (byNameOrLabels && kind != TargetRefKinds.Dataplane && !hasName && !hasLabels)
            errors.Add(path, $"name or labels must be set when kind is {kind}");
        if (byNameOrLabels && hasLabels && (hasName || targetRef.Namespace is { Length: > 0 }))
            errors.Add(path.Field("labels"), "either labels or name and namespace must be specified");

        if (targetRef.ProxyTypes is { } proxyTypes && allowed.Contains("proxyTypes"))
        {
            if (!topLevel) errors.Add(path.Field("proxyTypes"), "must not be set here");
            if (proxyTypes.Count == 0) errors.Add(path.Field("proxyTypes"), "must be undefined or have at least one element");
            for (var i = 0; i < proxyTypes.Count; i++)
            {
                if (!ProxyTypes.Contains(proxyTypes[i])) errors.Add(path.Field("proxyTypes").Index(i), "should be one of [Sidecar, Gateway]");
            }
        }
        foreach (var (key, value) in targetRef.Tags ?? [])
        {
            if (string.IsNullOrEmpty(key)) errors.Add(path.Field("tags"), "tag name must be non-empty");
            if (string.IsNullOrEmpty(value)) errors.Add(path.Field("tags").Key(key), "tag value must be non-empty");
        }
    }

    private static string[] AllowedFields(string kind) => kind switch
    {
        TargetRefKinds.Mesh => ["proxyTypes"],
        TargetRefKinds.MeshSubset => ["tags", "proxyTypes"],
        TargetRefKinds.Dataplane => ["labels", "namespace", "sectionName"],
        TargetRefKinds.MeshService or TargetRefKinds.MeshMultiZoneService => ["labels", "namespace", "sectionName"],
        TargetRefKinds.MeshHTTPRoute => ["labels", "namespace"],
        TargetRefKinds.MeshExternalService => ["labels", "namespace"],
        TargetRefKinds.MeshServiceSubset or TargetRefKinds.MeshGateway => ["tags"],
        _ => [],
    };
}
