using System.Text;
using System.Text.Json.Nodes;

namespace Kuma.Tests.Kubernetes.Injection;

/// <summary>
/// The kubelet's expansion of a container's env: <c>$(NAME)</c> takes the value of an entry defined before it,
/// <c>$$</c> is a literal <c>$</c>, an unknown reference stays as written. Sources other than literal values come from
/// the caller (what fieldRef and secretKeyRef would resolve to on a node).
/// </summary>
internal static class KubeletEnv
{
    public static Dictionary<string, string> Expand(JsonArray env, Func<JsonObject, string> resolveValueFrom)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in env.Cast<JsonObject>())
        {
            var name = entry["name"]!.GetValue<string>();
            values[name] = entry["value"] is { } literal ? Expand(literal.GetValue<string>(), values) : resolveValueFrom((JsonObject)entry["valueFrom"]!);
        }
        return values;
    }

    private static string Expand(string input, Dictionary<string, string> defined)
    {
        var output = new StringBuilder();
        for (var i = 0; i < input.Length; i++)
        {
            if (input[i] != '$' || i + 1 >= input.Length)
            {
                output.Append(input[i]);
                continue;
            }
            if (input[i + 1] == '$')
            {
                output.Append('$');
                i++;
                continue;
            }
            var close = input[i + 1] == '(' ? input.IndexOf(')', i + 2) : -1;
            if (close < 0 || !defined.TryGetValue(input[(i + 2)..close], out var value))
            {
                output.Append(input[i]);
                continue;
            }
            output.Append(value);
            i = close;
        }
        return output.ToString();
    }
}
