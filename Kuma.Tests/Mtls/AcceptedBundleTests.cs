using System.Collections.Immutable;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;
using Kuma.Xds.Protocol;
using CoreDataSource = Envoy.Config.Core.V3.DataSource;

namespace Kuma.Tests.Mtls;

/// <summary>Both protocol engines tell which CA bundle a proxy acknowledged (a CA rotation waits on it); a rejected one does not count.</summary>
public sealed class AcceptedBundleTests
{
    private const string Bundle = "mesh_ca:secret:m1";

    /// <summary>A proxy's config carrying a bundle of <paramref name="caPem"/>, and that bundle's version.</summary>
    private static (ProxyConfig Config, string Version) Config(string caPem)
    {
        var mesh = InProcessMesh.Build([("a", """{"networking":{"address":"10.0.0.1","inbound":[{"port":8080,"servicePort":80,"tags":{"kuma.io/service":"a"}}]}}""")]);
        var secret = new Secret
        {
            Name = Bundle,
            ValidationContext = new CertificateValidationContext { TrustedCa = new CoreDataSource { InlineBytes = ByteString.CopyFromUtf8(caPem) } },
        };
        var resource = XdsResource.Encode(Bundle, secret);
        return (mesh.ForProxy("a").WithSecrets(ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(Bundle, resource)])), resource.Version);
    }

    [Fact]
    public void State_of_the_world_counts_the_bundle_of_the_latest_acknowledged_response()
    {
        var engine = new SotwStream(TimeProvider.System);
        var first = Config("CA-1");
        engine.OnConfig(first.Config);
        var sent = Assert.Single(engine.OnRequest(new DiscoveryRequest { TypeUrl = TypeUrls.Secret, ResourceNames = { Bundle } }));
        Assert.Null(engine.AcceptedVersion(TypeUrls.Secret, Bundle));
        engine.OnRequest(new DiscoveryRequest { TypeUrl = TypeUrls.Secret, ResourceNames = { Bundle }, VersionInfo = sent.VersionInfo, ResponseNonce = sent.Nonce });
        var v1 = engine.AcceptedVersion(TypeUrls.Secret, Bundle);
        Assert.Equal(first.Version, v1);

        var second = Config("CA-1\nCA-2");
        var pushed = Assert.Single(engine.OnConfig(second.Config));
        Assert.Equal(v1, engine.AcceptedVersion(TypeUrls.Secret, Bundle)); // sent is not accepted
        engine.OnRequest(new DiscoveryRequest
        {
            TypeUrl = TypeUrls.Secret,
            ResourceNames = { Bundle },
            VersionInfo = sent.VersionInfo,
            ResponseNonce = pushed.Nonce,
            ErrorDetail = new Google.Rpc.Status { Code = 3, Message = "bad bundle" },
        });
        Assert.Equal(v1, engine.AcceptedVersion(TypeUrls.Secret, Bundle));

        var third = Config("CA-2");
        var again = Assert.Single(engine.OnConfig(third.Config));
        engine.OnRequest(new DiscoveryRequest { TypeUrl = TypeUrls.Secret, ResourceNames = { Bundle }, VersionInfo = again.VersionInfo, ResponseNonce = again.Nonce });
        Assert.Equal(third.Version, engine.AcceptedVersion(TypeUrls.Secret, Bundle));
        Assert.NotEqual(v1, third.Version);
    }

    [Fact]
    public void Delta_counts_the_bundle_of_each_acknowledged_response_and_forgets_it_on_unsubscribe()
    {
        var engine = new DeltaStream(TimeProvider.System);
        var first = Config("CA-1");
        engine.OnConfig(first.Config);
        var sent = Assert.Single(engine.OnRequest(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Secret, ResourceNamesSubscribe = { Bundle } }));
        Assert.Null(engine.AcceptedVersion(TypeUrls.Secret, Bundle));
        engine.OnRequest(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Secret, ResponseNonce = sent.Nonce });
        Assert.Equal(first.Version, engine.AcceptedVersion(TypeUrls.Secret, Bundle));

        var pushed = Assert.Single(engine.OnConfig(Config("CA-1\nCA-2").Config));
        engine.OnRequest(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Secret, ResponseNonce = pushed.Nonce, ErrorDetail = new Google.Rpc.Status { Code = 3, Message = "bad bundle" } });
        Assert.Equal(first.Version, engine.AcceptedVersion(TypeUrls.Secret, Bundle));

        var third = Config("CA-2");
        var again = Assert.Single(engine.OnConfig(third.Config));
        engine.OnRequest(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Secret, ResponseNonce = again.Nonce });
        Assert.Equal(third.Version, engine.AcceptedVersion(TypeUrls.Secret, Bundle));

        engine.OnRequest(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Secret, ResourceNamesUnsubscribe = { Bundle } });
        Assert.Null(engine.AcceptedVersion(TypeUrls.Secret, Bundle));
    }
}
