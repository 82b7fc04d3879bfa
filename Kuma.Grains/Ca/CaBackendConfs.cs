using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kuma.Ca;

/// <summary>A builtin backend's <c>conf</c>: <c>caCert: {RSAbits, expiration}</c>. No RSAbits means an ECDSA P-256 CA.</summary>
internal sealed record BuiltinCaConf(int? RsaBits, string? Expiration)
{
    public static readonly int[] AllowedRsaBits = [2048, 3072, 4096];

    /// <summary>Null (with the reasons) when the conf cannot be read as Kuma's BuiltinCertificateAuthorityConfig.</summary>
    public static BuiltinCaConf? Read(JsonObject? conf, List<string> conversionErrors)
    {
        int? bits = null;
        string? expiration = null;
        foreach (var (key, value) in conf ?? [])
        {
            if (key != "caCert")
            {
                conversionErrors.Add($"unknown field \"{key}\"");
                continue;
            }
            if (value is null) continue;
            if (value is not JsonObject caCert)
            {
                conversionErrors.Add("caCert: expected an object");
                continue;
            }
            foreach (var (field, v) in caCert)
            {
                if (v is null) continue;
                switch (field)
                {
                    case "RSAbits" or "rsabits" or "RSABits":
                        if (v is JsonValue n && (n.GetValueKind() == JsonValueKind.Number ? n.TryGetValue<int>(out var number)
                                : n.GetValueKind() == JsonValueKind.String && int.TryParse(n.GetValue<string>(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out number))
                            && number >= 0)
                            bits = number == 0 ? null : number;
                        else conversionErrors.Add("caCert.RSAbits: expected an unsigned integer");
                        break;
                    case "expiration":
                        if (v is JsonValue s && s.GetValueKind() == JsonValueKind.String) expiration = s.GetValue<string>();
                        else conversionErrors.Add("caCert.expiration: expected a string");
                        break;
                    default:
                        conversionErrors.Add($"unknown field \"caCert.{field}\"");
                        break;
                }
            }
        }
        return conversionErrors.Count == 0 ? new BuiltinCaConf(bits, expiration) : null;
    }
}

/// <summary>A provided backend's <c>conf</c>: the CA's certificate and key, each a <see cref="DataSource"/>.</summary>
internal sealed record ProvidedCaConf(DataSource? Cert, DataSource? Key)
{
    public static ProvidedCaConf? Read(JsonObject? conf, List<string> conversionErrors)
    {
        DataSource? cert = null, key = null;
        foreach (var (field, value) in conf ?? [])
        {
            switch (field)
            {
                case "cert": cert = DataSource.Read(value, "cert", conversionErrors); break;
                case "key": key = DataSource.Read(value, "key", conversionErrors); break;
                default: conversionErrors.Add($"unknown field \"{field}\""); break;
            }
        }
        return conversionErrors.Count == 0 ? new ProvidedCaConf(cert, key) : null;
    }
}
