using System.Text.Json;
using Orleans.Storage;

namespace Kuma.Grains;

/// <summary>
/// Plain JSON (System.Text.Json, no type names) for stored insights: a newer build reads what an older one wrote, as
/// unknown fields are skipped and missing ones take their defaults, and renaming a .NET type changes nothing stored.
/// Orleans' default (Newtonsoft with type names) would tie the rows to assembly and type names.
/// </summary>
internal sealed class InsightStateSerializer : IGrainStorageSerializer
{
    public static readonly InsightStateSerializer Instance = new();

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public BinaryData Serialize<T>(T? input) => new(JsonSerializer.SerializeToUtf8Bytes(input, Options));

    public T Deserialize<T>(BinaryData input) => input.ToObjectFromJson<T>(Options)!;
}
