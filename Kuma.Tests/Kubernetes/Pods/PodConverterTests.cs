using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kuma.ClusterAgent.Pods;
using Kuma.Tests.Kubernetes.Sync;

namespace Kuma.Tests.Kubernetes.Pods;

/// <summary>What the converter adds to Kuma's rules (proxyless Pods, the mesh's origin) and how it refuses bad annotations.</summary>
public sealed class PodConverterTests
{
    private static V1Pod PodWith(Dictionary<string, string> annotations, Dictionary<string, string>? labels = null)
    {
        var json = KubeObjects.Pod("shop", "web-1", "10.0.0.1", labels ?? new() { ["app"] = "web" }, [8080]);
        foreach (var (key, value) in annotations) json["metadata"]!["annotations"]![key] = value;
        return KubernetesJson.Deserialize<V1Pod>(json.ToJsonString());
    }

    private static readonly Dictionary<string, string> SidecarAnnotations = new()
    {
        ["kuma.io/transparent-proxying"] = "enabled",
        ["kuma.io/transparent-proxying-inbound-port"] = "15006",
        ["kuma.io/transparent-proxying-outbound-port"] = "15001",
        ["kuma.io/envoy-admin-port"] = "9901",
        ["kuma.io/virtual-probes"] = "enabled",
        ["kuma.io/virtual-probes-port"] = "9000",
    };

    [Fact]
    public void A_sidecar_pod_has_transparent_proxying_admin_and_probes()
    {
        var dataplane = PodConverter.Convert(PodWith(SidecarAnnotations), [], ns: null, zone: "zone-a");
        Assert.Equal(
            """{"transparentProxying":{"redirectPortInbound":15006,"redirectPortOutbound":15001,"ipFamilyMode":"DualStack"},"admin":{"port":9901},"probes":{"port":9000}}""",
            Parts(dataplane));
    }

    [Fact]
    public void A_proxyless_pod_has_the_same_inbounds_without_transparent_proxying_admin_or_probes()
    {
        var sidecar = PodConverter.Convert(PodWith(SidecarAnnotations), [], ns: null, zone: "zone-a");
        var proxyless = PodConverter.Convert(PodWith(new(SidecarAnnotations) { ["kuma.io/proxyless-injected"] = "true" }), [], ns: null, zone: "zone-a");
        Assert.Equal("""{"transparentProxying":null,"admin":null,"probes":null}""", Parts(proxyless));
        Assert.Equal(JsonSerializer.Serialize(sidecar.Spec.Networking!.Inbound, AgentJson.Options), JsonSerializer.Serialize(proxyless.Spec.Networking!.Inbound, AgentJson.Options));
        Assert.Equal((sidecar.Name, sidecar.Mesh), (proxyless.Name, proxyless.Mesh));
    }

    [Fact]
    public void The_mesh_comes_from_the_pod_then_its_namespace_then_default()
    {
        var ns = new V1Namespace { Metadata = new V1ObjectMeta { Name = "shop", Labels = new Dictionary<string, string> { ["kuma.io/mesh"] = "payments" } } };
        Assert.Equal(
            ["orders", "payments", "default"],
            new[]
            {
                PodConverter.Convert(PodWith(new(), new() { ["app"] = "web", ["kuma.io/mesh"] = "orders" }), [], ns, "zone-a").Mesh,
                PodConverter.Convert(PodWith(new()), [], ns, "zone-a").Mesh,
                PodConverter.Convert(PodWith(new()), [], ns: null, "zone-a").Mesh,
            });
    }

    [Theory]
    [InlineData("kuma.io/transparent-proxying", "sometimes", "annotation \"kuma.io/transparent-proxying\" has wrong value \"sometimes\"")]
    [InlineData("kuma.io/envoy-admin-port", "-1", "failed to parse annotation \"kuma.io/envoy-admin-port\": \"-1\" is not a port number")]
    [InlineData("kuma.io/virtual-probes-port", "", "failed to parse annotation \"kuma.io/virtual-probes-port\": \"\" is not a port number")]
    [InlineData("kuma.io/transparent-proxying-ip-family-mode", "ipv5", "invalid ip family mode 'ipv5'")]
    [InlineData("kuma.io/gateway", "enabled", "annotation \"kuma.io/gateway\": gateway pods are not supported by the cluster agent")]
    public void A_bad_annotation_is_refused_with_kumas_reason(string key, string value, string reason)
    {
        var error = Assert.Throws<PodConversionException>(() => PodConverter.Convert(PodWith(new(SidecarAnnotations) { [key] = value }), [], ns: null, zone: "zone-a"));
        Assert.Equal(reason, error.Message);
    }

    [Fact]
    public void Only_injected_running_pods_with_an_address_need_a_dataplane()
    {
        static V1Pod Shaped(Action<JsonObject> change)
        {
            var json = KubeObjects.Pod("shop", "web-1", "10.0.0.1", new() { ["app"] = "web" }, [8080]);
            change(json);
            return KubernetesJson.Deserialize<V1Pod>(json.ToJsonString());
        }
        var verdicts = new Dictionary<string, bool>
        {
            ["sidecar injected"] = PodSelection.NeedsDataplane(Shaped(_ => { })),
            ["proxyless injected"] = PodSelection.NeedsDataplane(Shaped(p => p["metadata"]!["annotations"] = new JsonObject { ["kuma.io/proxyless-injected"] = "true" })),
            ["not injected"] = PodSelection.NeedsDataplane(Shaped(p => p["metadata"]!["annotations"] = new JsonObject())),
            ["no address yet"] = PodSelection.NeedsDataplane(Shaped(p => p["status"]!.AsObject().Remove("podIP"))),
            ["succeeded"] = PodSelection.NeedsDataplane(Shaped(p => p["status"]!["phase"] = "Succeeded")),
            ["evicted"] = PodSelection.NeedsDataplane(Shaped(p => p["status"]!["reason"] = "Evicted")),
        };
        Assert.Equal(
            new Dictionary<string, bool>
            {
                ["sidecar injected"] = true,
                ["proxyless injected"] = true,
                ["not injected"] = false,
                ["no address yet"] = false,
                ["succeeded"] = false,
                ["evicted"] = false,
            },
            verdicts);
    }

    private static string Parts(PodDataplane dataplane) => new JsonObject
    {
        ["transparentProxying"] = JsonSerializer.SerializeToNode(dataplane.Spec.Networking!.TransparentProxying, AgentJson.Options),
        ["admin"] = JsonSerializer.SerializeToNode(dataplane.Spec.Networking.Admin, AgentJson.Options),
        ["probes"] = JsonSerializer.SerializeToNode(dataplane.Spec.Probes, AgentJson.Options),
    }.ToJsonString();
}
