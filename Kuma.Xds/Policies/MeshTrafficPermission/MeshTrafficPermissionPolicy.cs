using Kuma.Resources;
using Kuma.Validation;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.MeshTrafficPermission;

public static class MeshTrafficPermissionPolicy
{
    public static readonly PolicyShape Shape = new(HasTo: false, HasFrom: true, HasRules: true);

    public static readonly string[] Actions = ["Allow", "Deny", "AllowWithShadowDeny"];

    private static readonly TargetRefRules Kinds = new(
        Top: [Mesh, MeshSubset, MeshService, MeshServiceSubset, Dataplane],
        To: [],
        From: [Mesh, MeshSubset, MeshService, MeshServiceSubset]);

    public static readonly ResourceDescriptor<MeshTrafficPermissionSpec> Descriptor = new()
    {
        Name = "MeshTrafficPermission",
        Plural = "meshtrafficpermissions",
        ShortName = "mtp",
        Scope = ResourceScope.Mesh,
        Policy = Shape,
        Validate = Validate,
    };

    /// <summary>Kuma's order: top targetRef, the section rules, then <c>rules</c> and <c>from</c> entries.</summary>
    private static void Validate(MeshTrafficPermissionSpec spec, FieldPath path, ValidationErrors errors)
    {
        // Kuma reads an MTP "to" as an unknown field and drops it; only entries that would be lost are an error here.
        if (spec.To is { Count: > 0 }) errors.Add(path.Field("to"), "this policy does not support this section");
        var from = spec.From?.Count ?? 0;
        var rules = spec.Rules?.Count ?? 0;
        if (spec.TargetRef is { } top)
            PolicyValidation.CheckTargetRef(top, path.Field("targetRef"), Kinds.Top, errors, new TargetRefOptions(GatewayTagsAllowed: false, InboundPolicy: from + rules > 0));
        if (from > 0 && rules > 0) errors.Add(path, "field 'from' must be empty when 'rules' is defined");
        if (from + rules == 0) errors.Add(path, "at least one of 'from' or 'rules' has to be defined");
        for (var i = 0; i < rules; i++)
        {
            // Kuma names the rule itself and its match lists without the "default" step.
            var p = path.Field("rules").Index(i);
            var conf = spec.Rules![i].Default ?? new MeshTrafficPermissionRuleConf();
            if ((conf.Allow?.Count ?? 0) + (conf.Deny?.Count ?? 0) + (conf.AllowWithShadowDeny?.Count ?? 0) == 0)
                errors.Add(p, "at least one of 'allow', 'allowWithShadowDeny', 'deny' has to be defined");
            CheckMatches(conf.Allow, p.Field("allow"), errors);
            CheckMatches(conf.AllowWithShadowDeny, p.Field("allowWithShadowDeny"), errors);
            CheckMatches(conf.Deny, p.Field("deny"), errors);
        }
        for (var i = 0; i < from; i++)
        {
            var p = path.Field("from").Index(i);
            var item = spec.From![i];
            if (item.TargetRef is null) errors.Add(p.Field("targetRef").Field("kind"), "must be defined");
            else PolicyValidation.CheckTargetRef(item.TargetRef, p.Field("targetRef"), Kinds.From, errors);
            var action = item.Default?.Action;
            if (string.IsNullOrEmpty(action)) errors.Add(p.Field("default").Field("action"), "must be defined");
            // Beyond Kuma's validator (its schema has the enum): an action we could not enforce.
            else if (!Actions.Contains(action)) errors.Add(p.Field("default").Field("action"), $"should be one of [{string.Join(", ", Actions)}]");
        }
    }

    private static void CheckMatches(List<Match>? matches, FieldPath path, ValidationErrors errors)
    {
        for (var i = 0; i < (matches?.Count ?? 0); i++) PolicyValidation.CheckMatchValues(matches![i], path.Index(i), errors);
    }
}
