using Google.Protobuf.WellKnownTypes;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Xds;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Cleanup;

/// <summary>A proxy of the admin's mesh <c>default</c> that brings its own Dataplane in node metadata.</summary>
public static class SelfRegisteringProxy
{
    public const string Mesh = "default";

    public static string PathOf(string name) => $"/meshes/{Mesh}/dataplanes/{name}";

    /// <summary>Connects and waits for the first response, so the dataplane is registered and its stream is live.</summary>
    public static async Task<AdsClient> ConnectAsync(string dpAddress, HttpClient admin, string name)
    {
        var token = await ControlPlane.DataplaneTokenAsync(admin, Mesh, name);
        var metadata = new Struct { Fields = { ["dataplane.resource"] = Value.ForString(Samples.Dataplane(Mesh, name)) } };
        var ads = new AdsClient(dpAddress, $"{Mesh}.{name}", token, metadata);
        await ads.SendAsync(TypeUrls.Cluster);
        await ads.NextAsync(TimeSpan.FromSeconds(30));
        return ads;
    }
}
