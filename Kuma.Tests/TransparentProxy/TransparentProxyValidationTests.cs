using System.Text.Json.Nodes;
using Kuma.Resources;
using Kuma.Validation;

namespace Kuma.Tests.TransparentProxy;

/// <summary>
/// The transparent-proxying block as the API validates it: every error at once, under Kuma's paths (Kuma spells the
/// reachableBackends path <c>transparentProxing</c>, and clients match on it).
/// </summary>
public sealed class TransparentProxyValidationTests
{
    private static List<(string Field, string Reason)> Errors(string spec)
    {
        var errors = new ValidationErrors();
        ResourceTypes.Dataplane.BindAndValidate(JsonNode.Parse(spec), FieldPath.Root, errors);
        return [.. errors.ToImmutable().Select(e => (e.Field, e.Reason))];
    }

    [Fact]
    public void Reachable_services_and_backends_that_kuma_accepts_are_accepted()
    {
        Assert.Empty(Errors("""
            {"networking":{"address":"10.0.0.1","inbound":[{"port":8080,"tags":{"kuma.io/service":"web"}}],
             "transparentProxying":{"redirectPortInbound":15006,"redirectPortOutbound":15001,"ipFamilyMode":"IPv4",
              "reachableServices":["backend","db_prod_svc_5432"],
              "reachableBackends":{"refs":[{"kind":"MeshService","name":"backend","namespace":"prod","port":80},{"kind":"MeshExternalService","labels":{"team":"a"}}]}}}}
            """));
    }

    [Fact]
    public void Every_error_of_the_block_is_reported_at_once()
    {
        Assert.Equal(
            [
                ("networking.transparentProxing.reachableBackends.refs[0].kind", "invalid value. Available values are: MeshExternalService,MeshMultiZoneService,MeshService"),
                ("networking.transparentProxing.reachableBackends.refs[1].name", "name or labels are required"),
                ("networking.transparentProxing.reachableBackends.refs[2].labels", "labels cannot be defined when name is specified"),
                ("networking.transparentProxying.ipFamilyMode", "must be one of dualstack, ipv4, ipv6"),
            ],
            Errors("""
                {"networking":{"address":"10.0.0.1","inbound":[{"port":8080,"tags":{"kuma.io/service":"web"}}],
                 "transparentProxying":{"redirectPortInbound":15006,"redirectPortOutbound":15001,"ipFamilyMode":"both",
                  "reachableBackends":{"refs":[{"kind":"Dataplane","name":"web"},{"kind":"MeshService"},{"kind":"MeshService","name":"a","labels":{"x":"y"}}]}}}}
                """));
    }
}
