using Kuma.Resources;
using Kuma.Validation;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.MeshTcpRoute;

/// <summary>MeshTCPRoute: sends an outbound's TCP connections to weighted backends. The rules follow Kuma's validator.</summary>
public static class MeshTcpRoutePolicy
{
    public static readonly PolicyShape Shape = new(HasTo: true, HasFrom: false, HasRules: false);

    // Kuma accepts MeshGateway at the top only for system policies; a policy without a role label is one.
    private static readonly string[] TopKinds = [Mesh, MeshSubset, MeshGateway, MeshService, MeshServiceSubset, Dataplane];
    private static readonly string[] ServiceKinds = [MeshService, MeshExternalService, MeshMultiZoneService];
    private static readonly string[] GatewayToKinds = [Mesh];
    private static readonly string[] BackendKinds = [MeshService, MeshServiceSubset, MeshExternalService, MeshMultiZoneService];

    public static readonly ResourceDescriptor<MeshTcpRouteSpec> Descriptor = new()
    {
        Name = "MeshTCPRoute",
        Plural = "meshtcproutes",
        ShortName = "mtcpr",
        Scope = ResourceScope.Mesh,
        Policy = Shape,
        Validate = Validate,
    };

    private static void Validate(MeshTcpRouteSpec spec, FieldPath path, ValidationErrors errors)
    {
        if (spec.TargetRef is { } top)
            PolicyValidation.CheckTargetRef(top, path.Field("targetRef"), TopKinds, errors, new TargetRefOptions(GatewayTagsAllowed: true, InboundPolicy: false));
        var toKinds = (spec.TargetRef?.Kind ?? Mesh) == MeshGateway ? GatewayToKinds : ServiceKinds;

        for (var i = 0; i < (spec.To?.Count ?? 0); i++)
        {
            var to = spec.To![i];
            var p = path.Field("to").Index(i);
            // An absent targetRef reads as one without a kind, as Kuma's required field does.
            PolicyValidation.CheckTargetRef(to.TargetRef ?? new TargetRef(), p.Field("targetRef"), toKinds, errors);
            for (var r = 0; r < (to.Rules?.Count ?? 0); r++)
                CheckBackendRefs(to.Rules![r].Default?.BackendRefs, p.Field("rules").Index(r).Field("default").Field("backendRefs"), errors);
        }
    }

    private static void CheckBackendRefs(List<BackendRef>? backends, FieldPath path, ValidationErrors errors)
    {
        if (backends is not { Count: > 0 })
        {
            errors.Add(path, "must be defined");
            return;
        }
        for (var i = 0; i < backends.Count; i++)
        {
            var backend = backends[i];
            PolicyValidation.CheckTargetRef(backend.AsTargetRef(), path.Index(i), BackendKinds, errors);
            if (backend.Kind == MeshMultiZoneService && backend.Port is null)
                errors.Add(path.Index(i).Field("port"), "must be defined with kind MeshMultiZoneService");
        }
    }
}
