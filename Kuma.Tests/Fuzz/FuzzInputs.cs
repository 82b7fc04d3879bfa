using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Kuma.Tests.Fuzz;

/// <summary>Small building blocks of generated input: picks, odd strings, path segments, query strings, tokens.</summary>
public sealed class FuzzInputs(Random random)
{
    private static readonly string[] AdminGroups = ["mesh-system:admin"];
    private static readonly int[] NotAnObject = [1, 2];

    public Random Random { get; } = random;

    public bool Chance(double p) => Random.NextDouble() < p;

    public T PickFrom<T>(IReadOnlyList<T> items) => items[Random.Next(items.Count)];

    public T Pick<T>(params ReadOnlySpan<T> items) => items[Random.Next(items.Length)];

    public int Between(int min, int maxInclusive) => Random.Next(min, maxInclusive + 1);

    /// <summary>Strings that have broken parsers and validators before: empty, control characters, unicode, separators, sizes.</summary>
    public string OddText()
    {
        return Random.Next(16) switch
        {
            0 => "",
            1 => "\0",
            2 => "a\0b",
            3 => "\ud800",
            4 => "\udc00x",
            5 => "ünïcödé-日本-🙂",
            6 => new string('x', Pick(63, 64, 253, 254, 1_000, 10_000)),
            7 => " lead and trail ",
            8 => "../../etc/passwd",
            9 => "a/b",
            10 => "%2F%00%",
            11 => "${jndi:x}{{.}}",
            12 => "\r\nX-Injected: 1",
            13 => "-1",
            14 => "UPPER",
            _ => new string(Enumerable.Range(0, Between(1, 12)).Select(_ => (char)Random.Next(1, 0x3000)).ToArray()),
        };
    }

    /// <summary>
    /// A path segment: usually <paramref name="valid"/>, otherwise a mangled version of it. Mangled segments
    /// keep <paramref name="valid"/> in them, so workers that own different names never write each other's.
    /// </summary>
    public string Segment(string valid)
    {
        if (Chance(0.7)) return valid;
        return Random.Next(18) switch
        {
            0 => valid + "%2F" + valid,
            1 => valid + "%2f..%2f",
            2 => valid + "%00",
            3 => valid + "%",
            4 => valid + "%zz",
            5 => valid + "%C3%28",
            6 => valid + "%ED%A0%80",
            7 => valid + "-" + new string('x', Pick(200, 300, 5_000, 20_000)),
            8 => valid + "-%C3%BC%E6%97%A5",
            9 => valid + "%20",
            10 => valid.ToUpperInvariant(),
            11 => valid + ".",
            12 => "-" + valid,
            13 => valid + "%3Fsize=1",
            14 => valid + "%23frag",
            15 => Uri.EscapeDataString(valid + OddText()),
            16 => valid + "_" + Random.Next(),
            _ => valid + "%2E%2E",
        };
    }

    /// <summary>A query string of paging and filter parameters, valid and not; empty or starting with '?'.</summary>
    public string Query()
    {
        if (Chance(0.5)) return "";
        var parts = new List<string>();
        for (var n = Between(1, 4); n > 0; n--)
        {
            parts.Add(Random.Next(10) switch
            {
                0 => "size=" + Pick("1", "2", "1000", "1001", "0", "-1", "abc", "", "99999999999999999999", "1.5", "%00", "+5", " 5"),
                1 => "offset=" + Pick("", "abc", "!!!", "W10", "WyJhIl0", "WyJhIiwiYiJd", "WzEsMl0", "bnVsbA", Base64Url.EncodeToString(Encoding.UTF8.GetBytes("[\"ro\",\"\\u0000\"]")), "%00", new string('A', 5_000)),
                2 => "name=" + Uri.EscapeDataString(OddText()),
                3 => "name=s",
                4 => "filter[labels.kuma.io/mesh]=" + Pick("ro", "", "%00", "x"),
                5 => "filter[" + Uri.EscapeDataString(OddText()) + "]=1",
                6 => "filter[labels.=x",
                7 => Uri.EscapeDataString(OddText()) + "=" + Uri.EscapeDataString(OddText()),
                8 => "size=1&size=2",
                _ => "offset",
            });
        }
        return "?" + string.Join('&', parts);
    }

    /// <summary>A compact JWT with chosen header and payload and a random signature.</summary>
    public string ForgedJwt(object header, object payload)
    {
        var signature = new byte[Pick(0, 16, 256, 512)];
        Random.NextBytes(signature);
        return $"{Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(header))}.{Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(payload))}.{Base64Url.EncodeToString(signature)}";
    }

    /// <summary>Tokens that must all be refused: malformed, forged with a real key id, wrong algorithm, expired.</summary>
    public string GarbageToken(string keyId)
    {
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        return Random.Next(12) switch
        {
            0 => "",
            1 => "garbage",
            2 => "a.b.c",
            3 => "..",
            4 => OddText(),
            5 => ForgedJwt(new { alg = "RS256", kid = keyId, typ = "JWT" }, new { Name = "x", Tenant = "fuzz", TenantUid = "1", Mesh = "dp", MeshUid = "1", Type = "dataplane", exp }),
            6 => ForgedJwt(new { alg = "none", kid = keyId }, new { Name = "admin", Groups = AdminGroups, exp }),
            7 => ForgedJwt(new { alg = "HS256", kid = keyId }, new { Tenant = "fuzz", exp }),
            8 => ForgedJwt(new { alg = "RS256", kid = OddText() }, new { Tenant = OddText(), exp = Pick<object>(exp, "soon", -1, 1e300, long.MaxValue) }),
            9 => ForgedJwt(NotAnObject, new { }),
            10 => "e30." + new string('A', Pick(10, 5_000)) + ".",
            _ => ForgedJwt(new { alg = "RS256", kid = keyId }, new { Groups = "mesh-system:admin", Tenant = AdminGroups, Type = 7, exp = 1 }),
        };
    }

    /// <summary>Random bytes, for the parts of a protocol that are usually text.</summary>
    public byte[] Bytes(int length)
    {
        var bytes = new byte[length];
        Random.NextBytes(bytes);
        return bytes;
    }
}
