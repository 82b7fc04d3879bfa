using System.Globalization;
using System.Text.Json.Nodes;
using Kuma.Resources;

namespace Kuma.Gateway.Api;

/// <summary>
/// The deprecation warnings Kuma answers a PUT with (<c>{"warnings": [...]}</c>), read from the canonical spec the
/// write stored. Kuma's texts, per type, in Kuma's order: the type's own warnings first, the top-level targetRef last.
/// </summary>
public static class Deprecations
{
    private static readonly string[] TargetSections = ["to", "from", "rules"];
    private static readonly string[] RateLimitSections = ["from", "rules", "to"];
    private const string FromUseRules = "'from' field is deprecated, use 'rules' instead";
    private const string InlineOtelEndpoint = "openTelemetry.endpoint is deprecated, use openTelemetry.backendRef with a MeshOpenTelemetryBackend resource instead";

    /// <summary>Kubernetes' wording for a name that is not an RFC 1035 label, which Kuma quotes.</summary>
    private const string Dns1035Error =
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character " +
        "(e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

    public static IReadOnlyList<string> Of(ResourceDescriptor descriptor, string name, string specJson)
    {
        // Mesh names are DNS labels here (RFC 1123); those not starting with a letter are what Kuma deprecates.
        if (descriptor == ResourceTypes.Mesh && name.Length > 0 && !char.IsAsciiLetterLower(name[0]))
            return [$"Invalid Mesh resource name: '{name}'. It does not conform to the DNS format (RFC 1035). This is deprecated. Errors: {Dns1035Error}"];
        if (!descriptor.IsPolicy || JsonNode.Parse(specJson) is not JsonObject spec) return [];
        var warnings = new List<string>();
        var from = Array(spec, "from");
        switch (descriptor.Name)
        {
            case "MeshAccessLog":
                if (from.Count > 0) warnings.Add(FromUseRules);
                if (TargetSections.SelectMany(section => Array(spec, section)).Any(item => Array(item?["default"], "backends").Any(HasInlineOtelEndpoint)))
                    warnings.Add(InlineOtelEndpoint);
                break;
            case "MeshCircuitBreaker" or "MeshTimeout" or "MeshTLS":
                if (from.Count > 0) warnings.Add(FromUseRules);
                break;
            case "MeshFaultInjection":
                if (from.Count > 0) warnings.Add("'from' field is deprecated, use 'rules' with SPIFFE-based 'matches' instead");
                break;
            case "MeshTrafficPermission":
                if (from.Count > 0) warnings.Add("'from' field is deprecated and will be removed in 3.0, use 'rules' with MeshIdentity (spiffeId) instead");
                foreach (var item in from)
                {
                    if (Text(item?["targetRef"]?["kind"]) == "MeshService")
                        warnings.Add("MeshService value for 'from[].targetRef.kind' is deprecated, use MeshSubset with 'kuma.io/service' instead");
                }
                break;
            case "MeshRateLimit":
                if (from.Count > 0) warnings.Add(FromUseRules);
                foreach (var section in RateLimitSections)
                {
                    var items = Array(spec, section);
                    for (var i = 0; i < items.Count; i++)
                    {
                        var status = items[i]?["default"]?["local"]?["http"]?["onRateLimit"]?["status"];
                        if (status is JsonValue value && value.TryGetValue<long>(out var code) && code < 400)
                            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"'spec.{section}[{i}].default.local.http.requestRate.status' must be 400 or higher. Please update your configuration."));
                    }
                }
                break;
            case "MeshMetric" or "MeshTrace":
                if (Array(spec["default"], "backends").Any(HasInlineOtelEndpoint)) warnings.Add(InlineOtelEndpoint);
                break;
            case "MeshLoadBalancingStrategy":
                AddHashPolicyWarnings(Array(spec, "to"), warnings);
                break;
        }
        if (descriptor.Name == "MeshHealthCheck")
        {
            // Kuma lists the targetRef first here, then one line per 'to' entry that still sets the threshold.
            AddTargetRefWarnings(spec, warnings);
            foreach (var to in Array(spec, "to"))
            {
                if (to?["default"]?["healthyPanicThreshold"] is not null)
                    warnings.Add("healthyPanicThreshold for 'to[].default' is deprecated. The setting has been moved to MeshCircuitBreaker policy, please use MeshCircuitBreaker policy instead.");
            }
            return warnings;
        }
        AddTargetRefWarnings(spec, warnings);
        return warnings;
    }

    private static void AddTargetRefWarnings(JsonObject spec, List<string> warnings)
    {
        var kind = Text(spec["targetRef"]?["kind"]);
        switch (kind)
        {
            case "MeshService" or "MeshServiceSubset" or "MeshSubset":
                warnings.Add($"{kind} value for 'targetRef.kind' is deprecated, use Dataplane with labels instead");
                break;
            case "MeshHTTPRoute":
                warnings.Add("MeshHTTPRoute value for 'targetRef.kind' is deprecated, use MeshHTTPRoute in spec.to[].targetRef");
                break;
        }
    }

    private static void AddHashPolicyWarnings(JsonArray to, List<string> warnings)
    {
        for (var i = 0; i < to.Count; i++)
        {
            var loadBalancer = to[i]?["default"]?["loadBalancer"];
            var (key, field) = Text(loadBalancer?["type"]) switch
            {
                "RingHash" => ("ringHash", loadBalancer?["ringHash"]),
                "Maglev" => ("maglev", loadBalancer?["maglev"]),
                _ => ("", null),
            };
            if (field?["hashPolicies"] is not JsonArray policies) continue;
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"configuration 'spec.to[{i}].default.loadBalancer.{key}.hashPolicies' is deprecated, use 'spec.to[{i}].default.hashPolicies' instead"));
            for (var j = 0; j < policies.Count; j++)
            {
                if (Text(policies[j]?["type"]) == "SourceIP")
                    warnings.Add(string.Create(CultureInfo.InvariantCulture, $"SourceIP type for 'spec.to[{i}].default.loadBalancer.{key}.hashPolicies[{j}].type' is deprecated, use Connection instead"));
            }
        }
    }

    private static bool HasInlineOtelEndpoint(JsonNode? backend) =>
        backend?["openTelemetry"] is JsonObject otel && Text(otel["endpoint"]) is { Length: > 0 } && otel["backendRef"] is null;

    private static JsonArray Array(JsonNode? node, string field) => node?[field] as JsonArray ?? [];

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
