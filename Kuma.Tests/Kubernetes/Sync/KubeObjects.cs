using System.Text.Json.Nodes;

namespace Kuma.Tests.Kubernetes.Sync;

/// <summary>Namespaces, Pods, Services and policy resources as the Kubernetes API serves them (JSON).</summary>
public static class KubeObjects
{
    public static JsonObject Namespace(string name, Dictionary<string, string>? labels = null) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = Map(labels ?? new() { ["kuma.io/sidecar-injection"] = "enabled" }) },
        ["status"] = new JsonObject { ["phase"] = "Active" },
    };

    /// <summary>An injected Pod (kuma.io/sidecar-injected) with one app container listening on <paramref name="ports"/>.</summary>
    public static JsonObject Pod(string ns, string name, string ip, Dictionary<string, string> labels, int[] ports, bool ready = true, bool injected = true)
    {
        var annotations = new JsonObject();
        if (injected) annotations["kuma.io/sidecar-injected"] = "true";
        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = Map(labels), ["annotations"] = annotations },
            ["spec"] = new JsonObject
            {
                ["containers"] = new JsonArray(
                    new JsonObject
                    {
                        ["name"] = "app",
                        ["image"] = "example/app",
                        ["ports"] = new JsonArray([.. ports.Select(p => (JsonNode)new JsonObject { ["containerPort"] = p })]),
                    },
                    new JsonObject { ["name"] = "kuma-sidecar", ["image"] = "kumahq/kuma-dp" }),
            },
            ["status"] = new JsonObject
            {
                ["phase"] = "Running",
                ["podIP"] = ip,
                ["containerStatuses"] = new JsonArray(
                    new JsonObject { ["name"] = "app", ["ready"] = ready, ["restartCount"] = 0, ["image"] = "example/app", ["imageID"] = "" },
                    new JsonObject { ["name"] = "kuma-sidecar", ["ready"] = true, ["restartCount"] = 0, ["image"] = "kumahq/kuma-dp", ["imageID"] = "" }),
            },
        };
    }

    /// <summary>A ClusterIP Service selecting <paramref name="selector"/>; each port is (port, targetPort, appProtocol).</summary>
    public static JsonObject Service(string ns, string name, Dictionary<string, string> selector, params (int Port, int Target, string? AppProtocol)[] ports) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["spec"] = new JsonObject
        {
            ["clusterIP"] = "10.96.0.10",
            ["selector"] = Map(selector),
            ["ports"] = new JsonArray([.. ports.Select(p =>
            {
                var port = new JsonObject { ["protocol"] = "TCP", ["port"] = p.Port, ["targetPort"] = p.Target };
                if (p.AppProtocol is not null) port["appProtocol"] = p.AppProtocol;
                return (JsonNode)port;
            })]),
        },
    };

    public static JsonObject Policy(string kind, string ns, string name, JsonObject spec, string? mesh = null) => new()
    {
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = ns,
            ["labels"] = mesh is null ? new JsonObject() : new JsonObject { ["kuma.io/mesh"] = mesh },
        },
        ["spec"] = spec,
    };

    private static JsonObject Map(Dictionary<string, string> values) => new([.. values.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))]);
}
