using System.Net;
using Kuma.Grains;
using Kuma.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kuma.Tests.Tokens;

/// <summary>
/// A caller without a token, from anywhere but the operator's own machine (here: with localhost not trusted as
/// admin), reaches nothing behind authentication: signing keys and token issuance included, reads and writes alike.
/// </summary>
public sealed class AnonymousCallerTests : IAsyncLifetime
{
    private ControlPlane _cp = null!;

    public async Task InitializeAsync() =>
        _cp = await ControlPlane.StartAsync(extra: new Dictionary<string, string> { ["KUMA_API_SERVER_AUTHN_LOCALHOST_IS_ADMIN"] = "false" });

    public async Task DisposeAsync() => await _cp.DisposeAsync();

    [Fact]
    public async Task Gets_401_for_signing_keys_and_tokens_and_changes_nothing()
    {
        using var anonymous = _cp.NewClient();
        var attempts = new Func<Task<HttpResponseMessage>>[]
        {
            () => anonymous.GetAsync("/signing-keys/dataplane"),
            () => anonymous.GetAsync("/signing-keys/user/1"),
            () => anonymous.PostAsync("/signing-keys/dataplane", null),
            () => anonymous.PostAsync("/signing-keys/user", null),
            () => anonymous.DeleteAsync("/signing-keys/dataplane/1"),
            () => anonymous.PostAsync("/tokens/user", ControlPlane.Json("""{"name":"eve","tenant":"default","validFor":"1h"}""")),
            () => anonymous.PostAsync("/tokens/dataplane", ControlPlane.Json("""{"name":"web","mesh":"default","validFor":"1h"}""")),
            () => anonymous.GetAsync("/meshes/default/secrets"),
        };
        foreach (var attempt in attempts)
        {
            using var response = await attempt();
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains("\"title\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var grains = _cp.Services.GetRequiredService<IGrainFactory>();
        foreach (var kind in new[] { ITokenIssuerGrain.UserTokens, ITokenIssuerGrain.DataplaneTokens })
            Assert.Single(await grains.GetGrain<ITokenIssuerGrain>(kind).ListSigningKeys());
    }
}
