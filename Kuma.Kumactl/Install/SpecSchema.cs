using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Policies;
using Kuma.Policies.MeshHttpRoute;
using Kuma.Policies.MeshLoadBalancingStrategy;
using Kuma.Policies.MeshPassthrough;
using Kuma.Policies.MeshTls;
using Kuma.Policies.MeshTrafficPermission;
using Kuma.Validation;

namespace Kuma.Kumactl.Install;

/// <summary>
/// An OpenAPI v3 structural schema (what Kubernetes accepts in a CRD) for a spec type, read from the type the way
/// <see cref="SpecBinder"/> reads a body: the same property names, the same shapes (string, boolean, integer with its
/// range, number, map, list, object), no unknown fields, and free-form only where the binder is free-form.
/// </summary>
public static class SpecSchema
{
    /// <summary>
    /// Fields whose validators take only a fixed set of values. The sets are the validators' own constants, so a kind
    /// added there is added here.
    /// Only fields the validators check wherever they appear are listed: an enum the validator does not enforce
    /// everywhere would refuse what the API takes.
    /// </summary>
    private static readonly Dictionary<(Type Owner, string Property), IReadOnlyList<string>> FixedSets = new()
    {
        [(typeof(TargetRef), "kind")] = TargetRefKinds.All,
        [(typeof(HttpRouteMatch), "method")] = MeshHttpRoutePolicy.Methods,
        [(typeof(HttpPathMatch), "type")] = MeshHttpRoutePolicy.PathMatchTypes,
        [(typeof(HttpQueryParamMatch), "type")] = MeshHttpRoutePolicy.QueryParamMatchTypes,
        [(typeof(HttpHeaderMatch), "type")] = MeshHttpRoutePolicy.HeaderMatchTypes,
        [(typeof(HttpRouteFilter), "type")] = MeshHttpRoutePolicy.FilterTypes,
        [(typeof(MeshTrafficPermissionConf), "action")] = MeshTrafficPermissionPolicy.Actions,
        [(typeof(LoadBalancer), "type")] = MeshLoadBalancingStrategyPolicy.LoadBalancerTypes,
        [(typeof(PassthroughMatch), "protocol")] = MeshPassthroughPolicy.Protocols,
        [(typeof(MeshTlsConf), "mode")] = MeshTlsPolicy.Modes,
        [(typeof(MeshTlsConf), "tlsCiphers")] = MeshTlsPolicy.Ciphers,
        [(typeof(TlsVersionRange), "min")] = MeshTlsPolicy.Versions,
        [(typeof(TlsVersionRange), "max")] = MeshTlsPolicy.Versions,
    };

    /// <summary>Fields the validators require wherever their object appears ("must be defined").</summary>
    private static readonly HashSet<(Type Owner, string Property)> RequiredFields =
    [
        (typeof(HttpPathMatch), "type"),
        (typeof(HttpQueryParamMatch), "type"),
        (typeof(HttpRouteFilter), "type"),
        (typeof(MeshTrafficPermissionConf), "action"),
    ];

    public static JsonObject For(Type type) => Build(type, []);

    private static JsonObject Build(Type type, HashSet<Type> enclosing)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(JsonNode) || type == typeof(JsonElement)) return new JsonObject { ["x-kubernetes-preserve-unknown-fields"] = true };
        if (type == typeof(JsonObject)) return new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
        if (type == typeof(string)) return new JsonObject { ["type"] = "string" };
        if (type == typeof(bool)) return new JsonObject { ["type"] = "boolean" };
        if (IntegerRange(type) is { } range) return Integer(range);
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) return new JsonObject { ["type"] = "number" };
        if (DictionaryValueType(type) is { } valueType)
            return new JsonObject { ["type"] = "object", ["additionalProperties"] = Build(valueType, enclosing) };
        if (ElementType(type) is { } elementType)
            return new JsonObject { ["type"] = "array", ["items"] = Build(elementType, enclosing) };
        // Structural schemas cannot recurse; a type inside itself is left open below its first level.
        if (!enclosing.Add(type)) return new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
        var properties = new JsonObject();
        var required = new JsonArray();
        foreach (var property in SpecBinder.Options.GetTypeInfo(type).Properties)
        {
            var schema = Build(property.PropertyType, enclosing);
            var owner = property.AttributeProvider is System.Reflection.MemberInfo member ? member.DeclaringType : null;
            if (owner is not null && FixedSets.TryGetValue((owner, property.Name), out var values))
            {
                // A list of such values (tlsCiphers) takes the set on its items.
                var target = schema["items"] as JsonObject ?? schema;
                target["enum"] = new JsonArray([.. values.Select(v => JsonValue.Create(v))]);
            }
            if (owner is not null && RequiredFields.Contains((owner, property.Name))) required.Add(property.Name);
            properties[property.Name] = schema;
        }
        enclosing.Remove(type);
        var objectSchema = new JsonObject { ["type"] = "object", ["properties"] = properties };
        if (required.Count > 0) objectSchema["required"] = required;
        return objectSchema;
    }

    private static JsonObject Integer((string Format, long? Minimum, long? Maximum) range)
    {
        var schema = new JsonObject { ["type"] = "integer", ["format"] = range.Format };
        if (range.Minimum is { } min) schema["minimum"] = min;
        if (range.Maximum is { } max) schema["maximum"] = max;
        return schema;
    }

    /// <summary>The ranges the binder enforces (64-bit bounds are the format's own).</summary>
    private static (string, long?, long?)? IntegerRange(Type type) => type switch
    {
        _ when type == typeof(int) => ("int32", int.MinValue, int.MaxValue),
        _ when type == typeof(uint) => ("int64", 0, uint.MaxValue),
        _ when type == typeof(short) => ("int32", short.MinValue, short.MaxValue),
        _ when type == typeof(ushort) => ("int32", 0, ushort.MaxValue),
        _ when type == typeof(long) => ("int64", null, null),
        _ when type == typeof(ulong) => ("int64", 0, null),
        _ => null,
    };

    private static Type? DictionaryValueType(Type type) =>
        type.GetInterfaces().Append(type)
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>) && i.GetGenericArguments()[0] == typeof(string))
            ?.GetGenericArguments()[1];

    private static Type? ElementType(Type type)
    {
        if (type.IsArray) return type.GetElementType();
        if (type == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(type)) return null;
        return type.GetInterfaces().Append(type)
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            ?.GetGenericArguments()[0];
    }
}
