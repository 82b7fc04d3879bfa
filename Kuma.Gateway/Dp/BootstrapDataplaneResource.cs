using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Gateway.Api;
using Kuma.Resources;
using Kuma.Resources.Core;
using Kuma.Validation;

namespace Kuma.Gateway.Dp;

/// <summary>The Dataplane kuma-dp brings in its bootstrap request (<c>dataplaneResource</c>), checked as Kuma checks it.</summary>
public static class BootstrapDataplaneResource
{
    /// <summary>The Dataplane in <paramref name="text"/> (JSON or YAML); problems raise <see cref="ApiException"/> (422).</summary>
    public static DataplaneSpec Parse(string text, BootstrapRequest request)
    {
        JsonObject body;
        try
        {
            body = YamlToJson.Convert(text) as JsonObject ?? throw Invalid("dataplaneResource: must be an object");
        }
        catch (YamlTreeException e)
        {
            throw Invalid($"dataplaneResource: {e.Message}");
        }
        ParsedResource parsed;
        try
        {
            parsed = ResourceJson.Parse(body, ResourceTypes.Dataplane, request.Mesh, request.Name);
        }
        catch (ApiException e)
        {
            throw Invalid(e.Fields.Count > 0 ? string.Join("; ", e.Fields.Select(f => $"{f.Field}: {f.Reason}")) : e.Detail);
        }
        var dataplane = ResourceTypes.Dataplane.Parse(parsed.SpecJson);
        if (TransparentProxyEnabled(request.TransparentProxy) && dataplane.Networking?.Outbound is { Count: > 0 })
            throw Invalid("outbound: should be empty since dataplane is in Transparent Proxying mode");
        return dataplane;
    }

    public static ApiException Invalid(string message) => new(StatusCodes.Status422UnprocessableEntity, "Unprocessable Entity", message);

    /// <summary>kuma-dp redirects inbound or outbound traffic to Envoy.</summary>
    private static bool TransparentProxyEnabled(JsonObject? config) =>
        Enabled(config?["redirect"]?["inbound"]) || Enabled(config?["redirect"]?["outbound"]);

    private static bool Enabled(JsonNode? flow) => flow?["enabled"] is JsonValue enabled && enabled.GetValueKind() == JsonValueKind.True;
}
