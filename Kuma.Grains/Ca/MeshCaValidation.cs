using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Kuma.Resources.Core;
using Kuma.Validation;

namespace Kuma.Ca;

/// <summary>
/// Kuma's checks of a Mesh's CA backends when the Mesh is written, after its spec passed the stateless
/// validator: they need the mesh's secrets (a provided CA's cert and key) and its previous version.
/// </summary>
internal static partial class MeshCaValidation
{
    /// <summary>
    /// Kuma refuses any change of the enabled backend while mTLS is on ("Changing CA when mTLS is enabled is forbidden.
    /// Disable mTLS first and then change the CA"). Here a change is a rotation as long as the backend that issued until
    /// now stays listed, so its CA stays trusted while proxies move to the new one; only dropping it at once is refused.
    /// </summary>
    public static string ChangeForbidden(string previous) =>
        $"Changing CA when mTLS is enabled requires the previous backend \"{previous}\" to stay in mtls.backends until every proxy "
        + "holds a certificate of the new one. Add the new backend and enable it, then remove the previous one in a later change, or disable mTLS first";
    private const int MaxBackendNameLength = 255;

    [GeneratedRegex(@"^([a-zA-Z0-9_]{1}[a-zA-Z0-9_-]{0,62}){1}(\.[a-zA-Z0-9_]{1}[a-zA-Z0-9_-]{0,62})*[\._]?\z")]
    private static partial Regex DnsName();

    /// <param name="secretOfMesh">The data of a secret of this mesh by name, or null when there is none.</param>
    public static ImmutableArray<FieldError> Validate(string mesh, MeshSpec spec, MeshSpec? previous, Func<string, byte[]?> secretOfMesh, DateTimeOffset now)
    {
        var errors = new ValidationErrors();
        var enabled = spec.Mtls?.EnabledBackend;
        var wasEnabled = previous?.Mtls?.EnabledBackend;
        if (wasEnabled is { Length: > 0 } && enabled is { Length: > 0 } && wasEnabled != enabled
            && !(spec.Mtls?.Backends ?? []).Any(b => b.Name == wasEnabled))
            errors.Add("mtls.enabledBackend", ChangeForbidden(wasEnabled));

        var path = FieldPath.Root.Field("mtls").Field("backends");
        var backends = spec.Mtls?.Backends ?? [];
        for (var i = 0; i < backends.Count; i++)
        {
            var backend = backends[i];
            if (backend.Type is not (MtlsFacts.BuiltinType or MtlsFacts.ProvidedType))
            {
                errors.Add(path.Index(i).Field("type"), "could not find installed plugin for this type");
                break;
            }
            if (spec.Mtls!.SkipValidation == true) continue;
            var conf = path.Index(i).Field("conf");
            if (backend.Type == MtlsFacts.BuiltinType) Builtin(mesh, backend, conf, errors);
            else Provided(mesh, backend, conf, secretOfMesh, now, errors)?.Dispose();
        }
        return errors.ToImmutable();
    }

    private static void Builtin(string mesh, MeshCaBackend backend, FieldPath conf, ValidationErrors errors)
    {
        var conversion = new List<string>();
        var parsed = BuiltinCaConf.Read(backend.Conf, conversion);
        if (parsed is null) errors.Add(conf, "could not convert backend config: " + string.Join("; ", conversion));
        var secretName = MtlsFacts.BuiltinCertSecretName(mesh, backend.Name ?? "");
        // Kuma's builtin CA names this field from the Mesh root, under the backend's conf.
        var name = conf.Field("mtls").Field("backends").Field("name");
        if (secretName.Length > MaxBackendNameLength) errors.Add(name, $"Backend name is too long. Max length: {MaxBackendNameLength}");
        if (!IsDnsName(secretName) || secretName.Any(char.IsUpper)) errors.Add(name, $"\"{backend.Name}\" name must be valid dns name");
        if (parsed is null) return;
        // Beyond Kuma, which finds these out only when it fails to create the CA.
        if (parsed.RsaBits is { } bits && !BuiltinCaConf.AllowedRsaBits.Contains(bits))
            errors.Add(conf.Field("caCert").Field("RSAbits"), $"must be one of {string.Join(", ", BuiltinCaConf.AllowedRsaBits)}");
        if (parsed.Expiration is { } expiration && (!MtlsFacts.TryParseDuration(expiration, out var lifetime) || lifetime <= TimeSpan.Zero))
            errors.Add(conf.Field("caCert").Field("expiration"), "has to be a valid format");
    }

    private static bool IsDnsName(string name) => name.Length > 0 && name.Replace(".", "", StringComparison.Ordinal).Length <= 255 && DnsName().IsMatch(name);

    /// <summary>Checks a provided backend and returns its key pair when it is usable.</summary>
    public static CaKeyPair? Provided(string mesh, MeshCaBackend backend, FieldPath conf, Func<string, byte[]?> secretOfMesh, DateTimeOffset now, ValidationErrors errors)
    {
        var conversion = new List<string>();
        var parsed = ProvidedCaConf.Read(backend.Conf, conversion);
        if (parsed is null)
        {
            errors.Add(conf, "could not convert backend config: " + string.Join("; ", conversion));
            return null;
        }
        var before = errors.Count;
        if (parsed.Cert is null) errors.Add(conf.Field("cert"), "has to be defined");
        else parsed.Cert.Validate(conf.Field("cert"), errors);
        if (parsed.Key is null) errors.Add(conf.Field("key"), "has to be defined");
        else parsed.Key.Validate(conf.Field("key"), errors);
        if (errors.Count != before) return null;

        // Kuma loads the key first and reports the first failure against both fields.
        var (key, keyError) = parsed.Key!.Load(mesh, secretOfMesh);
        var (cert, certError) = keyError is null ? parsed.Cert!.Load(mesh, secretOfMesh) : (null, null);
        if ((keyError ?? certError) is { } loadError)
        {
            errors.Add(conf.Field("cert"), loadError);
            errors.Add(conf.Field("key"), loadError);
            return null;
        }
        return CaCertificateChecks.Check(cert!, key!, now, conf, errors);
    }
}
