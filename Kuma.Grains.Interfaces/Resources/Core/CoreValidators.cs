using Kuma.Validation;

namespace Kuma.Resources.Core;

internal static class CoreValidators
{
    public static void Dataplane(DataplaneSpec spec, FieldPath path, ValidationErrors errors) => DataplaneValidator.Validate(spec, path, errors);

    public static void Mesh(MeshSpec spec, FieldPath path, ValidationErrors errors) => MeshValidator.Validate(spec, path, errors);

    public static void Secret(SecretSpec spec, FieldPath path, ValidationErrors errors)
    {
        // Kuma accepts a secret without data; what it does hold has to decode.
        if (spec.Data is null) return;
        Span<byte> buffer = new byte[spec.Data.Length];
        if (!Convert.TryFromBase64String(spec.Data, buffer, out _))
            errors.Add(path.Field("data"), "must be valid base64");
    }

    public static void Tenant(TenantSpec spec, FieldPath path, ValidationErrors errors)
    {
        var quotas = path.Field("quotas");
        if (spec.Quotas?.Meshes is < 0) errors.Add(quotas.Field("meshes"), "must not be negative");
        if (spec.Quotas?.Dataplanes is < 0) errors.Add(quotas.Field("dataplanes"), "must not be negative");
        if (spec.Quotas?.Policies is < 0) errors.Add(quotas.Field("policies"), "must not be negative");
        if (spec.ApiRateLimit?.RequestsPerSecond is < 1)
            errors.Add(path.Field("apiRateLimit").Field("requestsPerSecond"), "must be at least 1");
    }
}
