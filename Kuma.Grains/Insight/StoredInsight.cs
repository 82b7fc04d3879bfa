using System.Collections.Immutable;

namespace Kuma.Grains;

/// <summary>
/// A dataplane session as its grain stores it (JSON, see <see cref="InsightStateSerializer"/>): the last known
/// insight, and enough of the stream to ask its gateway whether it is still open after the grain moved.
/// Fields are only ever added; a removed one is left unread.
/// </summary>
public sealed class StoredInsight
{
    public bool EverConnected { get; set; }

    public Guid? Session { get; set; }

    public string? Gateway { get; set; }

    /// <summary>The <see cref="IStreamCloser"/> of the stream's gateway, as an Orleans grain id.</summary>
    public string? Closer { get; set; }

    public DateTimeOffset? ConnectTime { get; set; }

    public DateTimeOffset? DisconnectTime { get; set; }

    public ImmutableArray<XdsTypeStatus> Types { get; set; } = [];

    public StreamClient? Client { get; set; }

    public SelfRegisteredHold? Hold { get; set; }
}
