using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Kuma.Ca;

/// <summary>
/// A subjectAltName extension of URIs written exactly as given. .NET's builder goes through <see cref="Uri"/>,
/// which would lower-case a tag name standing in the host part of <c>kuma://&lt;tag&gt;/&lt;value&gt;</c>.
/// </summary>
internal static class UriNames
{
    private const string SubjectAltNameOid = "2.5.29.17";
    private static readonly Asn1Tag UniformResourceIdentifier = new(TagClass.ContextSpecific, 6);

    public static X509Extension Extension(IEnumerable<string> uris, bool critical)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var uri in uris) writer.WriteCharacterString(UniversalTagNumber.IA5String, uri, UniformResourceIdentifier);
        }
        return new X509Extension(SubjectAltNameOid, writer.Encode(), critical);
    }
}
