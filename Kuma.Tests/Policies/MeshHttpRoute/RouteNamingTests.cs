using System.Text.Json;
using System.Text.Json.Nodes;
using Envoy.Type.V3;
using Kuma.Policies.MeshHttpRoute;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Policies.MeshHttpRoute;

/// <summary>Names that must equal Kuma's byte for byte: expected values are taken from Kuma v2.14.3's golden files.</summary>
public sealed class RouteNamingTests
{
    private static HttpRouteMatch Prefix(string value) => new() { Path = new HttpPathMatch { Type = "PathPrefix", Value = value } };

    public static TheoryData<string, HttpRouteMatch[]> RouteNameCases() => new()
    {
        { "9Zuf5Tg79OuZcQITwBbQykxAk2u4fRKrwYn3//AL4Yo=", [Prefix("/")] },
        { "bzv64o+joRk33jfDADgGv5ar4QyONO0NEVKnoBfJW/E=", [Prefix("/v1")] },
        { "BRLj9+uPP4C2xD2r8YkH/x30Vn34XWSc48Fj/pHZdTw=", [Prefix("/v2"), Prefix("/v3")] },
        { "eIgW92wXHwW4jQW9ZASIi/jftgxb/u98hIBaTzIRSIw=", [new() { QueryParams = [new() { Type = "Exact", Name = "v1", Value = "true" }] }] },
        {
            "yih0Y9HpUXVKBUFYOjdHJ6ltlVzhID6xNw9/5VgD9w8=",
            [new() { Path = new HttpPathMatch { Type = "Exact", Value = "/v1/specific" } }, new() { Method = "GET" }]
        },
        {
            "1w+PTeOLWcIWtOrX+9cRSY9ErAU0fSgNKRXQu/iSDNA=",
            [new()
            {
                Headers =
                [
                    new() { Type = "Exact", Name = "foo-exact", Value = "bar" },
                    new() { Type = "Present", Name = "foo-present" },
                    new() { Type = "RegularExpression", Name = "foo-regex", Value = "x.*y" },
                    new() { Type = "Absent", Name = "foo-absent" },
                    new() { Type = "Prefix", Name = "foo-prefix", Value = "x" },
                ],
            }]
        },
    };

    [Theory]
    [MemberData(nameof(RouteNameCases))]
    public void A_route_is_named_after_its_rules_matches_as_Kuma_hashes_them(string expected, HttpRouteMatch[] matches) =>
        Assert.Equal(expected, RouteNames.Of(matches));

    [Fact]
    public void Field_order_in_the_stored_policy_does_not_change_the_name()
    {
        var reordered = JsonNode.Parse("""[{"path":{"value":"/v1","type":"PathPrefix"}}]""")!.Deserialize<List<HttpRouteMatch>>(Kuma.Validation.SpecBinder.Options)!;
        Assert.Equal(RouteNames.Of([Prefix("/v1")]), RouteNames.Of(reordered));
    }

    [Theory]
    [InlineData("backend", "", "backend")]
    [InlineData("backend", "kuma.io/service=backend", "backend")]
    [InlineData("backend", "region=us", "backend-c72efb5be46fae6b")]
    [InlineData("payments", "version=v1,region=us,env=dev", "payments-9f43ffb3c22f8c19")]
    public void A_subset_cluster_is_named_after_the_service_and_a_hash_of_its_tags(string service, string tags, string expected)
    {
        var pairs = tags.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(t => t.Split('=')).Select(p => KeyValuePair.Create(p[0], p[1]));
        Assert.Equal(expected, ClusterRef.Of(service, pairs).Name);
    }

    [Theory]
    [InlineData("\"99.9\"", 9990u, FractionalPercent.Types.DenominatorType.TenThousand)]
    [InlineData("50", 50u, FractionalPercent.Types.DenominatorType.Hundred)]
    [InlineData("\"12.5\"", 1250u, FractionalPercent.Types.DenominatorType.TenThousand)]
    [InlineData("\"0.001\"", 10u, FractionalPercent.Types.DenominatorType.Million)]
    public void A_mirror_percentage_keeps_the_precision_it_was_written_with(string json, uint numerator, FractionalPercent.Types.DenominatorType denominator) =>
        Assert.Equal(new FractionalPercent { Numerator = numerator, Denominator = denominator }, EnvoyRoutes.Fraction(JsonNode.Parse(json)!));
}
