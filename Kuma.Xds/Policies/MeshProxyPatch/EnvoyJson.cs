using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Kuma.Xds.Generation;

namespace Kuma.Policies.MeshProxyPatch;

/// <summary>
/// Envoy messages as proto JSON (what users write and patch), and Kuma's way of merging one message into another.
/// Unknown fields are refused rather than dropped: a misspelt field must not silently do nothing.
/// </summary>
internal static class EnvoyJson
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithTypeRegistry(EnvoyTypes.Registry));
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default
        .WithTypeRegistry(EnvoyTypes.Registry).WithFormatDefaultValues(false));

    public static JsonNode ToNode(IMessage message) => JsonNode.Parse(Formatter.Format(message))!;

    /// <summary>The message read from JSON, or why it cannot be.</summary>
    public static (T? Message, string? Error) Parse<T>(JsonNode? json) where T : class, IMessage<T>, new()
    {
        var (message, error) = Parse(new T().Descriptor, json);
        return ((T?)message, error);
    }

    public static (IMessage? Message, string? Error) Parse(MessageDescriptor descriptor, JsonNode? json)
    {
        try
        {
            return (Parser.Parse(json?.ToJsonString() ?? "{}", descriptor), null);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException or InvalidOperationException or FormatException)
        {
            return (null, e.Message);
        }
    }

    /// <summary>A modification's <c>value</c> as <typeparamref name="T"/>, or why it is not one.</summary>
    public static (T? Message, string? Error) FromValue<T>(string value) where T : class, IMessage<T>, new()
    {
        var (node, error) = ValueYaml.Read(value);
        return error is not null ? (null, error) : Parse<T>(node);
    }

    /// <summary>
    /// Kuma's merge: protobuf's (set fields win, lists append, map entries replace), except that a duration in
    /// <paramref name="patch"/> replaces the one in <paramref name="target"/> whole instead of field by field.
    /// </summary>
    public static void Merge(IMessage target, IMessage patch)
    {
        ClearReplacedDurations(target, patch);
        // Merging the encoded patch is protobuf's merge: proto3 leaves unset scalars out of the encoding.
        target.MergeFrom(patch.ToByteString());
    }

    private static void ClearReplacedDurations(IMessage target, IMessage patch)
    {
        foreach (var field in patch.Descriptor.Fields.InFieldNumberOrder())
        {
            if (field.FieldType != FieldType.Message || field.IsRepeated || field.IsMap) continue;
            if (field.Accessor.GetValue(patch) is not IMessage from) continue;
            if (field.MessageType.FullName == Duration.Descriptor.FullName) field.Accessor.Clear(target);
            else if (field.Accessor.GetValue(target) is IMessage into) ClearReplacedDurations(into, from);
        }
    }

    /// <summary>Two <c>Any</c> configs of the same type merged as their messages; null with a reason when they cannot be.</summary>
    public static (Any? Merged, string? Error) MergeAny(Any? target, Any? patch)
    {
        if (patch is null) return (target, null);
        if (target is null) return (patch, null);
        if (patch.TypeUrl != target.TypeUrl) return (null, $"type URL of dst \"{target.TypeUrl}\" is different than src \"{patch.TypeUrl}\"");
        if (EnvoyTypes.Registry.Find(Any.GetTypeName(target.TypeUrl)) is not { } descriptor) return (null, $"unknown type {target.TypeUrl}");
        var into = descriptor.Parser.ParseFrom(target.Value);
        Merge(into, descriptor.Parser.ParseFrom(patch.Value));
        return (Any.Pack(into), null);
    }

    /// <summary>The message with RFC 6902 operations applied to its JSON form, read back; or why that failed.</summary>
    public static (T? Message, string? Error) Patch<T>(T message, IReadOnlyList<JsonPatchBlock> operations) where T : class, IMessage<T>, new()
    {
        var json = ToNode(message);
        if (JsonPatch.Apply(ref json, operations) is { } error) return (null, $"apply json patches: {error}");
        var (patched, parseError) = Parse<T>(json);
        return parseError is not null ? (null, $"the patched resource is not a valid {message.Descriptor.Name}: {parseError}") : (patched, null);
    }

    /// <summary>The same for an <c>Any</c> config: its message patched and packed again.</summary>
    public static (Any? Patched, string? Error) PatchAny(Any? config, IReadOnlyList<JsonPatchBlock> operations)
    {
        if (config is null) return (null, "the filter has no typed config to patch");
        if (EnvoyTypes.Registry.Find(Any.GetTypeName(config.TypeUrl)) is not { } descriptor) return (null, $"unknown type {config.TypeUrl}");
        var json = ToNode(descriptor.Parser.ParseFrom(config.Value));
        if (JsonPatch.Apply(ref json, operations) is { } error) return (null, $"apply json patches: {error}");
        var (patched, parseError) = Parse(descriptor, json);
        return parseError is not null ? (null, $"the patched config is not a valid {descriptor.Name}: {parseError}") : (Any.Pack(patched!), null);
    }
}
