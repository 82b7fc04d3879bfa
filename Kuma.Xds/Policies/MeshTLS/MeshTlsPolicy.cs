using Kuma.Resources;
using Kuma.Validation;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.MeshTls;

public static class MeshTlsPolicy
{
    public static readonly PolicyShape Shape = new(HasTo: false, HasFrom: true, HasRules: true);

    public static readonly string[] Modes = ["Strict", "Permissive"];

    /// <summary>Kuma's TLS versions, in its order (TLSAuto leaves the choice to Envoy).</summary>
    public static readonly string[] Versions = ["TLSAuto", "TLS10", "TLS11", "TLS12", "TLS13"];

    /// <summary>The cipher suites Kuma lets a MeshTLS choose from.</summary>
    public static readonly string[] Ciphers =
    [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305",
    ];

    private static readonly string[] TopKinds = [Mesh, MeshSubset, Dataplane];
    private static readonly string[] FromKinds = [Mesh];

    public static readonly ResourceDescriptor<PolicySpec<MeshTlsConf>> Descriptor = new()
    {
        Name = "MeshTLS",
        Plural = "meshtlses",
        ShortName = "mtls",
        Scope = ResourceScope.Mesh,
        Policy = Shape,
        Validate = Validate,
    };

    /// <summary>Kuma's order: top targetRef, the section rule, then <c>rules</c> and <c>from</c> entries.</summary>
    private static void Validate(PolicySpec<MeshTlsConf> spec, FieldPath path, ValidationErrors errors)
    {
        if (spec.To is { Count: > 0 }) errors.Add(path.Field("to"), "this policy does not support this section");
        var from = spec.From?.Count ?? 0;
        var rules = spec.Rules?.Count ?? 0;
        if (spec.TargetRef is { } top)
            PolicyValidation.CheckTargetRef(top, path.Field("targetRef"), TopKinds, errors, new TargetRefOptions(GatewayTagsAllowed: false, InboundPolicy: from + rules > 0));
        if (from > 0 && rules > 0) errors.Add(path, "field 'from' must be empty when 'rules' is defined");
        var topKind = spec.TargetRef?.Kind ?? Mesh;
        for (var i = 0; i < rules; i++)
        {
            var p = path.Field("rules").Index(i);
            if (spec.Rules![i].Matches is { Count: > 0 }) errors.Add(p.Field("matches"), "this policy does not support this section");
            ValidateConf(spec.Rules[i].Default ?? new MeshTlsConf(), p.Field("default"), topKind, errors);
        }
        for (var i = 0; i < from; i++)
        {
            var p = path.Field("from").Index(i);
            var item = spec.From![i];
            if (item.TargetRef is null) errors.Add(p.Field("targetRef").Field("kind"), "must be defined");
            else PolicyValidation.CheckTargetRef(item.TargetRef, p.Field("targetRef"), FromKinds, errors);
            ValidateConf(item.Default ?? new MeshTlsConf(), p.Field("default"), topKind, errors);
        }
    }

    private static void ValidateConf(MeshTlsConf conf, FieldPath path, string topKind, ValidationErrors errors)
    {
        if (conf.Mode is { } mode && !Modes.Contains(mode)) errors.Add(path.Field("mode"), MustBeOneOf("mode", Modes));
        if (conf.TlsCiphers is { Count: > 0 } && topKind != Mesh)
            errors.Add(path.Field("tlsCiphers"), "tlsCiphers can only be defined with top level targetRef kind: Mesh");
        else if (conf.TlsCiphers is { } ciphers && !ciphers.All(Ciphers.Contains))
            errors.Add(path.Field("tlsCiphers"), MustBeOneOf("tlsCiphers", Ciphers));
        if (conf.TlsVersion is not { } version) return;
        if (topKind != Mesh)
        {
            errors.Add(path.Field("tlsVersion"), "tlsVersion can only be defined with top level targetRef kind: Mesh");
            return;
        }
        ValidateVersion(version, path.Field("tlsVersion"), errors);
    }

    private static void ValidateVersion(TlsVersionRange version, FieldPath path, ValidationErrors errors)
    {
        var min = Bound(version.Min, "min", path, errors);
        var max = Bound(version.Max, "max", path, errors);
        if (min > 0 && max > 0 && min > max) errors.Add(path.Field("min"), "min version must be lower than max");
    }

    /// <summary>The bound's place among the specific versions (1 for TLS10 up), 0 for none, TLSAuto or an unknown one (reported).</summary>
    private static int Bound(string? value, string field, FieldPath path, ValidationErrors errors)
    {
        if (value is null) return 0;
        var index = Array.IndexOf(Versions, value);
        if (index < 0) errors.Add(path.Field(field), MustBeOneOf(field, Versions));
        return Math.Max(index, 0);
    }

    private static string MustBeOneOf(string field, IEnumerable<string> values) =>
        $"\"{field}\" must be one of [{string.Join(", ", values.Select(v => $"\"{v}\""))}]";
}
