using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Kuma.Validation;

namespace Kuma.Resources.Core;

/// <summary>Kuma's checks of a prometheus metrics backend <c>conf</c> (on a Mesh or a Dataplane).</summary>
internal static class PrometheusConfig
{
    public static void Check(JsonObject? conf, FieldPath path, ValidationErrors errors)
    {
        if (conf is null) return;
        if (conf["skipMTLS"] is { } skip && conf["tls"] is JsonObject tls)
        {
            var skipped = skip.GetValueKind() == JsonValueKind.True;
            // An unset mode is Kuma's first enum value.
            var mode = tls["mode"] is JsonValue m && m.GetValueKind() == JsonValueKind.String ? m.GetValue<string>() : "activeMTLSBackend";
            if (!((!skipped && mode == "activeMTLSBackend") || (skipped && mode == "disabled")))
            {
                errors.Add(path, "skipMTLS and tls configuration cannot be defined together");
                return;
            }
        }
        if (conf["envoy"]?["filterRegex"] is JsonValue regex && regex.GetValueKind() == JsonValueKind.String)
        {
            try
            {
                _ = new Regex(regex.GetValue<string>(), RegexOptions.None, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException e)
            {
                errors.Add(path.Field("envoy").Field("filterRegex"), $"provided regexp isn't correct: {e.Message}");
                return;
            }
        }
        if (conf["aggregate"] is JsonArray aggregate)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < aggregate.Count; i++)
            {
                var name = aggregate[i]?["name"] is JsonValue n && n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : "";
                if (!seen.Add(name)) errors.Add(path.Field("aggregate").Index(i).Field("name"), $"duplicate entry: {name}, values have to be unique");
            }
        }
    }
}
