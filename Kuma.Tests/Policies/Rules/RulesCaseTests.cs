using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Validation;
using Kuma.Gateway.Api;
using Kuma.Policies;
using Kuma.Policies.MeshHttpRoute;
using Kuma.Policies.Rules;

namespace Kuma.Tests.Policies.Rules;

/// <summary>
/// Runs every case file under Cases/: a proxy, its mesh's policies of one type, and written expectations for
/// selection, merged confs and provenance. Each file names where its expectations come from.
/// </summary>
public sealed class RulesCaseTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static TheoryData<string> CaseFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(CasesDirectory(), "*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseFiles))]
    public void Case(string name)
    {
        var doc = (JsonObject)YamlToJson.Convert(File.ReadAllText(Path.Combine(CasesDirectory(), name + ".yaml")))!;
        var expect = (JsonObject)doc["expect"]!;
        var merge = ReadMergeRules(doc);

        if (doc["confs"] is JsonArray confs)
        {
            var inputs = confs.Select(c => (JsonObject)c!).ToList();
            var before = inputs.Select(c => c.ToJsonString()).ToList();
            Same(expect["merged"], new JsonArray([.. JsonMerge.MergeAll(inputs, merge).Select(c => c.DeepClone())]), "merged");
            Assert.Equal(before, inputs.Select(c => c.ToJsonString()).ToList());
            return;
        }

        var proxy = ReadProxy((JsonObject)doc["proxy"]!);
        var policies = ((JsonArray)doc["policies"]!).Select(p => ReadPolicy((JsonObject)p!)).ToList();
        var specsBefore = policies.Select(Snapshot).ToList();

        // MeshHTTPRoutes of the mesh, for policies aimed at a route (they are not themselves of the case's type).
        var routes = MeshHttpRouteTargets.From([.. (doc["routes"] as JsonArray ?? []).Select(r => ReadPolicy((JsonObject)r!))]);
        var selected = PolicyMatcher.Select(proxy, policies, routes);
        if (expect["selected"] is JsonArray expectedSelection)
        {
            Same(expectedSelection, new JsonArray([.. selected.Select(p => JsonValue.Create(p.Name))]), "selected");
        }

        var rules = MergedRules.Build(proxy, selected, merge, routes: routes);
        if (expect.ContainsKey("proxy"))
        {
            Same(expect["proxy"], rules.Proxy?.DeepClone(), "proxy");
        }
        if (expect["proxyOrigins"] is JsonArray proxyOrigins)
        {
            Same(proxyOrigins, Origins(rules.ProxyOrigins), "proxyOrigins");
        }
        foreach (var (service, conf) in expect["toServices"] as JsonObject ?? [])
        {
            Same(conf, rules.ToService(service)?.DeepClone(), $"toServices.{service}");
        }
        foreach (var (service, origins) in expect["toServiceOrigins"] as JsonObject ?? [])
        {
            Same(origins, Origins(rules.ToServiceOrigins(service)), $"toServiceOrigins.{service}");
        }
        foreach (var (service, byRoute) in expect["toServiceRoutes"] as JsonObject ?? [])
        {
            var actual = new JsonObject();
            foreach (var route in rules.ToServiceRoutes(service)) actual[route.RouteName] = route.Conf.DeepClone();
            Same(byRoute, actual, $"toServiceRoutes.{service}");
        }
        foreach (var (service, byRoute) in expect["toServiceRouteOrigins"] as JsonObject ?? [])
        {
            foreach (var (routeName, origins) in (JsonObject)byRoute!)
                Same(origins, Origins(rules.ToServiceRouteOrigins(service, routeName)), $"toServiceRouteOrigins.{service}.{routeName}");
        }
        if (expect["toSubsets"] is JsonArray expectedSubsets)
        {
            Same(expectedSubsets, new JsonArray([.. rules.ToSubsets().Select(r => (JsonNode)new JsonObject
            {
                ["subset"] = new JsonArray([.. r.Subset.Select(t => JsonValue.Create($"{t.Key}{(t.Not ? "!=" : "=")}{t.Value}"))]),
                ["conf"] = r.Conf.DeepClone(),
                ["origins"] = new JsonArray([.. r.Origins.Select(o => JsonValue.Create(o.Policy))]),
            })]), "toSubsets");
        }
        foreach (var (sectionName, inboundExpect) in expect["inbounds"] as JsonObject ?? [])
        {
            // A fresh instance, as a caller would build it: inbounds are found by value, not by reference.
            var known = proxy.Inbounds.Single(i => i.SectionName == sectionName);
            var inbound = new InboundFacts(known.Name, known.Port, new Dictionary<string, string>(known.Tags));
            Same(inboundExpect, Describe(rules.ForInbound(inbound), (JsonObject)inboundExpect!, merge), $"inbounds.{sectionName}");
        }

        // Results are shared between proxies, so building them must leave the inputs as they were.
        Assert.Equal(specsBefore, policies.Select(Snapshot).ToList());
    }

    /// <summary>Only the parts a case writes expectations for, so cases stay short.</summary>
    private static JsonObject Describe(InboundRules rules, JsonObject wanted, MergeRules merge)
    {
        var actual = new JsonObject();
        if (wanted.ContainsKey("conf")) actual["conf"] = rules.Conf?.DeepClone();
        if (wanted.ContainsKey("confOrigins")) actual["confOrigins"] = Origins(rules.ConfOrigins);
        if (wanted.ContainsKey("conditional"))
        {
            actual["conditional"] = new JsonArray([.. rules.Conditional.Select(c => new JsonObject
            {
                ["matches"] = JsonSerializer.SerializeToNode(c.Matches, Web),
                ["conf"] = c.Conf.DeepClone(),
            })]);
        }
        if (wanted.ContainsKey("ruleOrigins")) actual["ruleOrigins"] = Origins([.. rules.Rules.Select(r => r.Origin)]);
        if (wanted.ContainsKey("fromOrigins")) actual["fromOrigins"] = Origins([.. rules.From.Select(r => r.Origin)]);
        if (wanted["forCaller"] is JsonArray callers)
        {
            actual["forCaller"] = new JsonArray([.. callers.Select(c =>
            {
                var tags = ((JsonObject)c!["tags"]!).ToDictionary(t => t.Key, t => t.Value!.GetValue<string>());
                return (JsonNode)new JsonObject { ["tags"] = c["tags"]!.DeepClone(), ["conf"] = rules.ForCaller(tags, merge)?.DeepClone() };
            })]);
        }
        return actual;
    }

    private static JsonArray Origins(ImmutableArray<PolicyOrigin> origins) =>
        new([.. origins.Select(o => JsonValue.Create($"{o.Policy}/{o.Section}[{o.Index}]"))]);

    private static string Snapshot(PolicyItem p) =>
        string.Join("|", [p.Default?.ToJsonString() ?? "", .. p.To.Select(t => t.Conf.ToJsonString()),
            .. p.From.Select(f => f.Conf.ToJsonString()), .. p.Rules.Select(r => r.Conf.ToJsonString())]);

    private static MergeRules ReadMergeRules(JsonObject doc) =>
        doc["mergeRules"] is JsonObject explicitRules
            ? explicitRules.Deserialize<MergeRules>(Web)!
            : MergeRules.ForPolicyType(doc["policyType"]?.GetValue<string>() ?? "");

    private static ProxyFacts ReadProxy(JsonObject proxy) =>
        new(
            proxy["name"]!.GetValue<string>(),
            Strings(proxy["labels"]),
            [.. (proxy["inbounds"] as JsonArray ?? []).Select(i => new InboundFacts(
                i!["name"]?.GetValue<string>() ?? "",
                checked((uint)i["port"]!.GetValue<long>()),
                Strings(i["tags"])))],
            proxy["type"]?.GetValue<string>() ?? ProxyFacts.Sidecar)
        {
            DelegatedGatewayTags = proxy["delegatedGatewayTags"] is JsonObject gw ? Strings(gw) : null,
            BuiltinGatewayName = proxy["builtinGateway"]?.GetValue<string>(),
        };

    private static PolicyItem ReadPolicy(JsonObject policy) =>
        PolicyItem.FromSpecJson(policy["name"]!.GetValue<string>(), (policy["spec"] ?? new JsonObject()).ToJsonString()) with
        {
            Labels = Strings(policy["labels"]).ToImmutableDictionary(),
        };

    private static Dictionary<string, string> Strings(JsonNode? node) =>
        (node as JsonObject ?? []).ToDictionary(p => p.Key, p => p.Value!.ToString(), StringComparer.Ordinal);

    private static void Same(JsonNode? expected, JsonNode? actual, string what)
    {
        // Both sides go through text so that numbers read from YAML and from JSON compare alike.
        if (!JsonNode.DeepEquals(Reparse(expected), Reparse(actual)))
        {
            Assert.Fail($"{what}:\nexpected {expected?.ToJsonString() ?? "null"}\nactual   {actual?.ToJsonString() ?? "null"}");
        }
    }

    private static JsonNode? Reparse(JsonNode? node) => node is null ? null : JsonNode.Parse(node.ToJsonString());

    private static string CasesDirectory([CallerFilePath] string source = "") =>
        Path.Combine(Path.GetDirectoryName(source)!, "Cases");
}
