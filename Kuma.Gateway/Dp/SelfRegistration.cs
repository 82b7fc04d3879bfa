using System.Text.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Core.V3;
using Grpc.Core;
using Kuma.Gateway.Api;
using Kuma.Grains;
using Kuma.Resources;
using Kuma.Validation;

namespace Kuma.Gateway.Dp;

/// <summary>A proxy may bring its own Dataplane in node metadata <c>dataplane.resource</c>; it is written on connect.</summary>
public static class SelfRegistration
{
    public const string MetadataKey = "dataplane.resource";

    /// <summary>The Dataplane the node carries, validated; null when it carries none. Nothing is written yet.</summary>
    public static ResourceWrite? Parse(DataplaneIdentity identity, Node node)
    {
        if (node.Metadata?.Fields.TryGetValue(MetadataKey, out var value) != true || value!.KindCase != Google.Protobuf.WellKnownTypes.Value.KindOneofCase.StringValue)
            return null;
        ParsedResource parsed;
        try
        {
            var text = value.StringValue;
            var tree = text.TrimStart().StartsWith('{') ? JsonNode.Parse(text) : YamlToJson.Convert(text);
            if (tree is not JsonObject body) throw ApiException.BadRequest("must be an object");
            parsed = ResourceJson.Parse(body, ResourceTypes.Dataplane, identity.Mesh, identity.Name);
        }
        catch (Exception e) when (e is JsonException or ApiException or YamlTreeException)
        {
            var detail = e is ApiException api && api.Fields.Count > 0 ? string.Join("; ", api.Fields.Select(f => $"{f.Field}: {f.Reason}")) : e.Message;
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"node metadata {MetadataKey} is not a valid Dataplane: {detail}"));
        }
        return new ResourceWrite
        {
            Key = new ResourceKey(identity.Tenant, ResourceTypes.Dataplane.Name, identity.Mesh, identity.Name),
            SpecJson = parsed.SpecJson,
            Labels = parsed.Labels,
        };
    }

    /// <summary>
    /// Writes the Dataplane through its mesh and answers the stored version; a refusal ends the stream with the
    /// matching gRPC status.
    /// </summary>
    public static async Task<long> WriteAsync(IGrainFactory grains, DataplaneIdentity identity, ResourceWrite write)
    {
        var result = await grains.GetGrain<IMeshGrain>(GrainKeys.Mesh(identity.Tenant, identity.Mesh)).Put(write);
        switch (result.Status)
        {
            case WriteStatus.Created or WriteStatus.Updated:
                return result.Resource?.Version ?? 0;
            case WriteStatus.QuotaExceeded:
                throw new RpcException(new Status(StatusCode.ResourceExhausted, result.Message ?? "quota exceeded"));
            case WriteStatus.NotFound:
                throw new RpcException(new Status(StatusCode.NotFound, $"mesh {identity.Mesh} is not found"));
            default:
                throw new RpcException(new Status(StatusCode.InvalidArgument, result.Message ?? "dataplane refused"));
        }
    }
}
