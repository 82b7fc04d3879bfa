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
        Validate = (spec, path, errors) => PolicyValidation.Validate(spec, path, errors, Shape, Kinds, ValidateConf, ValidateRuleConf),
    };

    private static void ValidateConf(MeshTrafficPermissionConf conf, FieldPath path, ValidationErrors errors)
    {
        if (conf.Action is null) errors.Add(path.Field("action"), "must be defined");
        else if (!Actions.Contains(conf.Action)) errors.Add(path.Field("action"), $"should be one of [{string.Join(", ", Actions)}]");
    }

    private static void ValidateRuleConf(MeshTrafficPermissionRuleConf conf, FieldPath path, ValidationErrors errors)
    {
        if ((conf.Allow?.Count ?? 0) + (conf.Deny?.Count ?? 0) + (conf.AllowWithShadowDeny?.Count ?? 0) == 0)
            errors.Add(path, "at least one of 'allow', 'allowWithShadowDeny', 'deny' has to be defined");
    }
}
