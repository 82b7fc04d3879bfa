using Kuma.Gateway.Dp;
using Kuma.Resources;

namespace Kuma.Tests.Sidecar.Bootstrap;

/// <summary>kumaSidecarConfiguration's application metrics, for the inputs of Kuma's two generator tests about them.</summary>
public sealed class KumaSidecarConfigurationTests
{
    private const string Dataplane = """
        {"networking":{"address":"8.8.8.8","inbound":[{"port":443,"servicePort":8443,"tags":{"kuma.io/service":"backend"}}],"admin":{}},
         "metrics":{"type":"prometheus","conf":{"aggregate":[{"name":"dp-disabled","enabled":false},{"name":"app","port":12,"path":"/dp/override"}]}}}
        """;

    [Fact]
    public void The_dataplanes_entries_override_the_meshes_by_name_and_switched_off_ones_are_left_out()
    {
        var aggregate = Aggregate(Dataplane, """
            {"metrics":{"enabledBackend":"prometheus-1","backends":[{"name":"prometheus-1","type":"prometheus","conf":{"aggregate":[
              {"name":"opa","port":123,"path":"/mesh/config"},{"name":"dp-disabled","port":999,"path":"/stats/default"}]}}]}}
            """);
        Assert.Equal([new KumaSidecarAggregate("opa", "8.8.8.8", 123, "/mesh/config"), new KumaSidecarAggregate("app", "8.8.8.8", 12, "/dp/override")], aggregate);
    }

    [Fact]
    public void Without_a_dataplane_conf_the_meshes_entries_apply_and_without_prometheus_there_are_none()
    {
        const string plain = """{"networking":{"address":"8.8.8.8","inbound":[{"port":443,"tags":{"kuma.io/service":"backend"}}]}}""";
        const string mesh = """
            {"metrics":{"enabledBackend":"prometheus-1","backends":[{"name":"prometheus-1","type":"prometheus","conf":{"aggregate":[
              {"name":"opa","port":123,"path":"/mesh/opa"},{"name":"app","port":999,"path":"/mesh/app","address":"10.1.1.1"}]}}]}}
            """;
        Assert.Equal([new KumaSidecarAggregate("opa", "8.8.8.8", 123, "/mesh/opa"), new KumaSidecarAggregate("app", "10.1.1.1", 999, "/mesh/app")], Aggregate(plain, mesh));
        Assert.Empty(Aggregate(Dataplane, """{"metrics":{"backends":[{"name":"prometheus-1","type":"prometheus"}]}}"""));
        Assert.Empty(Aggregate(Dataplane, "{}"));
    }

    private static IReadOnlyList<KumaSidecarAggregate> Aggregate(string dataplane, string mesh) =>
        BootstrapDataplane.AggregateMetrics(ResourceTypes.Dataplane.Parse(dataplane), ResourceTypes.Mesh.Parse(mesh));
}
