using System.Text;

namespace Kuma.Kumactl.Output;

/// <summary>kumactl's tables: columns padded to their widest cell plus three spaces, the last column left as it is.</summary>
public static class Table
{
    public static string Format(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { headers };
        all.AddRange(rows);
        var widths = new int[headers.Count];
        foreach (var row in all)
        {
            for (var i = 0; i < row.Count - 1; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        }
        var sb = new StringBuilder();
        foreach (var row in all)
        {
            for (var i = 0; i < row.Count; i++)
            {
                if (i < row.Count - 1) sb.Append(row[i].PadRight(widths[i] + 3));
                else sb.Append(row[i]);
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
