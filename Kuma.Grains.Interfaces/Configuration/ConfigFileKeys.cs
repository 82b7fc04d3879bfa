using System.Text;

namespace Kuma.Configuration;

/// <summary>Maps a nested config-file path to the environment-variable name Kuma uses for it.</summary>
public static class ConfigFileKeys
{
    /// <summary><c>["apiServer", "http", "port"]</c> → <c>KUMA_API_SERVER_HTTP_PORT</c>.</summary>
    public static string ToEnvironmentName(IEnumerable<string> path)
    {
        var sb = new StringBuilder("KUMA");
        foreach (var segment in path)
        {
            sb.Append('_');
            for (var i = 0; i < segment.Length; i++)
            {
                var c = segment[i];
                if (char.IsUpper(c) && i > 0 && !char.IsUpper(segment[i - 1])) sb.Append('_');
                sb.Append(c is '-' or '.' ? '_' : char.ToUpperInvariant(c));
            }
        }
        return sb.ToString();
    }
}
