using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Kuma.Policies.MeshHttpRoute;

/// <summary>
/// Kuma names an outbound route after the matches of the rule it came from: base64 of the SHA-256 of the
/// matches as Kuma's API types serialize to JSON (fixed field order, empty optional fields left out, HTML
/// characters escaped). Every route made from one rule shares the name, so stats and debugging can tie
/// Envoy routes back to rules.
/// </summary>
public static class RouteNames
{
    public static string Of(IReadOnlyList<HttpRouteMatch>? matches)
    {
        var json = new StringBuilder();
        if (matches is null) json.Append("null");
        else WriteList(json, matches, WriteMatch);
        return Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(json.ToString())));
    }

    private static void WriteMatch(StringBuilder json, HttpRouteMatch match)
    {
        var fields = new Fields(json);
        if (match.Path is { } path)
        {
            fields.Name("path");
            var inner = new Fields(json);
            inner.Name("value");
            WriteString(json, path.Value ?? "");
            inner.Name("type");
            WriteString(json, path.Type ?? "");
            inner.End();
        }
        if (match.Method is { } method)
        {
            fields.Name("method");
            WriteString(json, method);
        }
        if (match.QueryParams is { } queryParams)
        {
            fields.Name("queryParams");
            WriteList(json, queryParams, (j, q) =>
            {
                var inner = new Fields(j);
                inner.Name("type");
                WriteString(j, q.Type ?? "");
                inner.Name("name");
                WriteString(j, q.Name ?? "");
                inner.Name("value");
                WriteString(j, q.Value ?? "");
                inner.End();
            });
        }
        if (match.Headers is { } headers)
        {
            fields.Name("headers");
            WriteList(json, headers, (j, h) =>
            {
                var inner = new Fields(j);
                if (h.Type is { } type)
                {
                    inner.Name("type");
                    WriteString(j, type);
                }
                inner.Name("name");
                WriteString(j, h.Name ?? "");
                if (!string.IsNullOrEmpty(h.Value))
                {
                    inner.Name("value");
                    WriteString(j, h.Value);
                }
                inner.End();
            });
        }
        fields.End();
    }

    private static void WriteList<T>(StringBuilder json, IReadOnlyList<T> items, Action<StringBuilder, T> write)
    {
        json.Append('[');
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0) json.Append(',');
            write(json, items[i]);
        }
        json.Append(']');
    }

    /// <summary>Escapes as Go's encoding/json does by default.</summary>
    private static void WriteString(StringBuilder json, string value)
    {
        json.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                case < ' ' or '<' or '>' or '&' or '\u2028' or '\u2029':
                    json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default: json.Append(c); break;
            }
        }
        json.Append('"');
    }

    /// <summary>Writes the braces and commas of one JSON object.</summary>
    private sealed class Fields
    {
        private readonly StringBuilder _json;
        private bool _any;

        public Fields(StringBuilder json)
        {
            _json = json;
            json.Append('{');
        }

        public void Name(string name)
        {
            if (_any) _json.Append(',');
            _any = true;
            _json.Append('"').Append(name).Append("\":");
        }

        public void End() => _json.Append('}');
    }
}
