using System.Text.Json;

namespace Kuma.Gateway.Dp;

/// <summary>What kuma-dp itself is told beside the bootstrap (Kuma's <c>kumaSidecarConfiguration</c>).</summary>
public sealed record KumaSidecarConfiguration
{
    public required KumaSidecarNetworking Networking { get; init; }
    public required KumaSidecarMetrics Metrics { get; init; }

    /// <summary>Written with Kuma's field names, and the template as base64 (null when there is none), as Go writes bytes.</summary>
    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteStartObject("networking");
        if (Networking.CorefileTemplate is { } template) w.WriteBase64String("corefileTemplate", template);
        else w.WriteNull("corefileTemplate");
        w.WriteString("address", Networking.Address);
        w.WriteEndObject();
        w.WriteStartObject("metrics");
        w.WriteStartArray("aggregate");
        foreach (var a in Metrics.Aggregate)
        {
            w.WriteStartObject();
            w.WriteString("name", a.Name);
            w.WriteString("address", a.Address);
            w.WriteNumber("port", a.Port);
            w.WriteString("path", a.Path);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }
}

public sealed record KumaSidecarNetworking(byte[]? CorefileTemplate, string Address);

public sealed record KumaSidecarMetrics(IReadOnlyList<KumaSidecarAggregate> Aggregate);

public sealed record KumaSidecarAggregate(string Name, string Address, uint Port, string Path);
