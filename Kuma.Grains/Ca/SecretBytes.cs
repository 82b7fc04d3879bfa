using Kuma.Resources;
using Kuma.Resources.Core;
using Kuma.Validation;

namespace Kuma.Ca;

/// <summary>Secrets keep their bytes base64 in <c>data</c>, as Kuma's do.</summary>
internal static class SecretBytes
{
    public static byte[]? Of(StoredResource secret)
    {
        try
        {
            return SpecBinder.FromCanonicalJson<SecretSpec>(secret.SpecJson).Data is { } data ? Convert.FromBase64String(data) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public static string SpecJson(string text) =>
        SpecBinder.ToCanonicalJson(new SecretSpec { Data = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text)) });
}
