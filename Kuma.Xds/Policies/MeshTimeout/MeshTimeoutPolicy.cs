using Kuma.Resources;
using Kuma.Validation;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.MeshTimeout;

public static class MeshTimeoutPolicy
{
    public static readonly PolicyShape Shape = new(HasTo: true, HasFrom: true, HasRules: true);

    private static readonly TargetRefRules Kinds = new(
        Top: [Mesh, MeshSubset, MeshService, MeshServiceSubset, MeshGateway, MeshHTTPRoute, Dataplane],
        To: [Mesh, MeshService, MeshExternalService, MeshMultiZoneService, MeshHTTPRoute],
        From: [Mesh])
    {
        ToUnderGatewayOrRoute = [Mesh, MeshExternalService],
    };

    public static readonly ResourceDescriptor<PolicySpec<MeshTimeoutConf>> Descriptor = new()
    {
        Name = "MeshTimeout",
        Plural = "meshtimeouts",
        ShortName = "mt",
        Scope = ResourceScope.Mesh,
        Policy = Shape,
        Validate = (spec, path, errors) => PolicyValidation.Validate(spec, path, errors, Shape, Kinds, ValidateConf),
    };

    private static void ValidateConf(MeshTimeoutConf conf, FieldPath path, ValidationErrors errors)
    {
        if (conf.ConnectionTimeout is null && conf.IdleTimeout is null && conf.Http is null)
        {
            errors.Add(path, "at least one timeout should be configured");
            return;
        }
        Positive(conf.ConnectionTimeout, path.Field("connectionTimeout"), errors);
        NotNegative(conf.IdleTimeout, path.Field("idleTimeout"), errors);
        if (conf.Http is { } http)
        {
            var httpPath = path.Field("http");
            // Kuma does not count requestHeadersTimeout alone as configuring this section.
            if (http is { RequestTimeout: null, StreamIdleTimeout: null, MaxStreamDuration: null, MaxConnectionDuration: null })
                errors.Add(httpPath, "at least one timeout in this section should be configured");
            NotNegative(http.RequestTimeout, httpPath.Field("requestTimeout"), errors);
            NotNegative(http.StreamIdleTimeout, httpPath.Field("streamIdleTimeout"), errors);
            NotNegative(http.MaxStreamDuration, httpPath.Field("maxStreamDuration"), errors);
            NotNegative(http.MaxConnectionDuration, httpPath.Field("maxConnectionDuration"), errors);
            NotNegative(http.RequestHeadersTimeout, httpPath.Field("requestHeadersTimeout"), errors);
        }
    }

    private static void Positive(string? value, FieldPath path, ValidationErrors errors)
    {
        if (value is null) return;
        if (!Durations.TryParse(value, out var d)) errors.Add(path, Durations.InvalidMessage);
        else if (d <= TimeSpan.Zero) errors.Add(path, "must be greater than zero when defined");
    }

    private static void NotNegative(string? value, FieldPath path, ValidationErrors errors)
    {
        if (value is null) return;
        if (!Durations.TryParse(value, out var d)) errors.Add(path, Durations.InvalidMessage);
        else if (d < TimeSpan.Zero) errors.Add(path, "must not be negative when defined");
    }
}
