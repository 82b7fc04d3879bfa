using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Kuma.Xds.Generation;

/// <summary>
/// One encoded xDS resource. Built once per mesh generation and shared, bytes and all, by every
/// stream that sends it; its version is a digest of those bytes, so an unchanged resource keeps its
/// version across generations and across gateways.
/// </summary>
public sealed class XdsResource
{
    private XdsResource(string typeUrl, string name, Any payload, string version)
    {
        TypeUrl = typeUrl;
        Name = name;
        Payload = payload;
        Version = version;
    }

    public string TypeUrl { get; }
    public string Name { get; }
    public Any Payload { get; }
    public string Version { get; }
    public int Size => Payload.Value.Length;

    public static XdsResource Encode(string name, IMessage message)
    {
        var payload = Any.Pack(message);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(payload.Value.Span, digest);
        return new XdsResource(payload.TypeUrl, name, payload, Convert.ToHexStringLower(digest[..8]));
    }

    public override string ToString() => $"{TypeUrls.ShortName(TypeUrl)}/{Name}@{Version}";
}
