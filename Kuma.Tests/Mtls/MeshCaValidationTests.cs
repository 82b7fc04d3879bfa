using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Kuma.Ca;
using Kuma.Gateway.Api;
using Kuma.Resources;
using Kuma.Resources.Core;
using Kuma.Validation;

namespace Kuma.Tests.Mtls;

/// <summary>
/// The checks a Mesh's CA backends get when the Mesh is written (Kuma's ValidateMTLSBackends, its builtin and provided
/// CA managers' ValidateBackend and the provided CA's certificate checks), each case with the whole list of violations.
/// Kuma's cases come from pkg/plugins/ca/provided (manager_test.go, ca_cert_validator_test.go) and
/// pkg/core/managers/apis/mesh (mesh_manager_test.go) of v2.14.3.
/// </summary>
public sealed class MeshCaValidationTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static List<FieldError> Validate(string meshYaml, IReadOnlyDictionary<string, string>? secrets = null, string? previousYaml = null)
    {
        var spec = Parse(meshYaml);
        var previous = previousYaml is null ? null : Parse(previousYaml);
        return [.. MeshCaValidation.Validate("m1", spec, previous, name => secrets?.GetValueOrDefault(name) is { } pem ? TestCertificates.Bytes(pem) : null, Now)];
    }

    private static MeshSpec Parse(string yaml)
    {
        var errors = new ValidationErrors();
        var json = ResourceTypes.Mesh.BindAndValidate(YamlToJson.Convert(yaml), FieldPath.Root, errors);
        Assert.True(json is not null, string.Join("; ", errors.ToImmutable()));
        return ResourceTypes.Mesh.Parse(json);
    }

    private static string Provided(string conf) => $"""
        mtls:
          enabledBackend: provided-1
          backends:
          - name: provided-1
            type: provided
            conf:
        {Indent(conf, 6)}
        """;

    private static string Indent(string text, int spaces) =>
        string.Join('\n', text.Split('\n').Select(l => new string(' ', spaces) + l));

    private static FieldError E(string field, string reason) => new($"mtls.backends[0].conf{(field.Length > 0 ? "." + field : "")}", reason);

    private static void AssertErrors(IEnumerable<FieldError> expected, List<FieldError> actual) =>
        Assert.True(expected.SequenceEqual(actual), $"expected:\n{string.Join('\n', expected)}\nactual:\n{string.Join('\n', actual)}");

    [Fact]
    public void Kuma_provided_empty_config()
    {
        AssertErrors([E("cert", "has to be defined"), E("key", "has to be defined")], Validate(Provided("{}")));
    }

    [Fact]
    public void Kuma_provided_config_without_data_source()
    {
        AssertErrors([E("cert", DataSource.ChooseSource), E("key", DataSource.ChooseSource)], Validate(Provided("cert: {}\nkey: {}")));
    }

    [Fact]
    public void Kuma_provided_config_with_empty_secret()
    {
        AssertErrors([E("cert", DataSource.ChooseSource), E("key", DataSource.ChooseSource)], Validate(Provided("cert:\n  secret:\nkey:\n  secret:")));
    }

    [Fact]
    public void Kuma_provided_config_with_invalid_cert()
    {
        AssertErrors([E("cert", "not a valid TLS key pair: tls: failed to find any PEM data in certificate input")],
            Validate(Provided("cert:\n  inline: dGVzdA==\nkey:\n  inline: dGVzdA==")));
    }

    [Fact]
    public void Files_are_refused_by_a_hosted_control_plane()
    {
        AssertErrors([E("cert.file", DataSource.FileRefused), E("key.file", DataSource.FileRefused)],
            Validate(Provided("cert:\n  file: /etc/passwd\nkey:\n  file: /etc/shadow")));
    }

    [Fact]
    public void A_missing_secret_is_reported_against_both_fields_as_Kuma_loads_them()
    {
        var missing = "could not load data: resource not found: type=\"Secret\" name=\"ca-key\" mesh=\"m1\"";
        AssertErrors([E("cert", missing), E("key", missing)], Validate(Provided("cert:\n  secret: ca-cert\nkey:\n  secret: ca-key")));
    }

    [Fact]
    public void A_key_of_another_certificate_is_refused()
    {
        var (cert, _) = TestCertificates.ProperCa();
        var (_, otherKey) = TestCertificates.ProperCa();
        AssertErrors([E("cert", "not a valid TLS key pair: tls: private key does not match public key")],
            Validate(Provided("cert:\n  secret: ca-cert\nkey:\n  secret: ca-key"), new Dictionary<string, string> { ["ca-cert"] = cert, ["ca-key"] = otherKey }));
    }

    [Fact]
    public void Switched_inputs_are_named_as_Kuma_names_them()
    {
        var (cert, key) = TestCertificates.ProperCa();
        AssertErrors([E("cert", "not a valid TLS key pair: tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched")],
            Validate(Provided($"cert:\n  inlineString: |\n{Indent(key, 4)}\nkey:\n  inlineString: |\n{Indent(cert, 4)}")));
    }

    [Fact]
    public void Kuma_certificate_without_basic_constraint_CA()
    {
        var (cert, key) = TestCertificates.SelfSigned(isCa: false, usages: null);
        AssertErrors([E("cert[0]", CaCertificateChecks.NotCa), E("cert[0]", CaCertificateChecks.NoKeyCertSign)], ValidateInline(cert, key));
    }

    [Fact]
    public void Kuma_certificate_without_key_usage_keyCertSign()
    {
        var (cert, key) = TestCertificates.SelfSigned(isCa: true, usages: null);
        AssertErrors([E("cert[0]", CaCertificateChecks.NoKeyCertSign)], ValidateInline(cert, key));
    }

    [Fact]
    public void Kuma_certificate_with_key_usage_keyAgreement()
    {
        var (cert, key) = TestCertificates.SelfSigned(isCa: true, X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.KeyAgreement);
        AssertErrors([E("cert[0]", CaCertificateChecks.KeyAgreement)], ValidateInline(cert, key));
    }

    [Fact]
    public void Kuma_certificate_with_multiple_violations()
    {
        var (cert, key) = TestCertificates.SelfSigned(isCa: false,
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement | X509KeyUsageFlags.KeyEncipherment);
        AssertErrors([E("cert[0]", CaCertificateChecks.NotCa), E("cert[0]", CaCertificateChecks.NoKeyCertSign), E("cert[0]", CaCertificateChecks.KeyAgreement)],
            ValidateInline(cert, key));
    }

    [Fact]
    public void An_expired_CA_is_refused()
    {
        var end = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
        var (cert, key) = TestCertificates.SelfSigned(isCa: true, X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, notAfter: end);
        AssertErrors([E("cert[0]", "certificate expired at 2024-05-01T12:00:00Z")], ValidateInline(cert, key));
    }

    [Fact]
    public void A_proper_CA_from_secrets_or_inline_passes()
    {
        var (cert, key) = TestCertificates.ProperCa();
        Assert.Empty(Validate(Provided("cert:\n  secret: ca-cert\nkey:\n  secret: ca-key"), new Dictionary<string, string> { ["ca-cert"] = cert, ["ca-key"] = key }));
        Assert.Empty(ValidateInline(cert, key));
    }

    [Fact]
    public void SkipValidation_skips_the_backends_checks_but_not_their_type()
    {
        var skipped = Provided("cert:\n  secret: nope\nkey:\n  secret: nope").Replace("  enabledBackend", "  skipValidation: true\n  enabledBackend");
        Assert.Empty(Validate(skipped));
        var vault = "mtls:\n  skipValidation: true\n  backends:\n  - name: v\n    type: vault";
        AssertErrors([new FieldError("mtls.backends[0].type", "could not find installed plugin for this type")], Validate(vault));
    }

    [Fact]
    public void Builtin_backend_names_and_conf_are_checked()
    {
        var mesh = """
            mtls:
              backends:
              - name: Builtin_1
                type: builtin
                conf:
                  caCert:
                    RSAbits: 1024
                    expiration: 2e
            """;
        AssertErrors(
        [
            E("mtls.backends.name", "\"Builtin_1\" name must be valid dns name"),
            E("caCert.RSAbits", "must be one of 2048, 3072, 4096"),
            E("caCert.expiration", "has to be a valid format"),
        ], Validate(mesh));

        var unknown = "mtls:\n  backends:\n  - name: b\n    type: builtin\n    conf:\n      caKey: {}";
        AssertErrors([E("", "could not convert backend config: unknown field \"caKey\"")], Validate(unknown));

        var longName = new string('b', 250);
        var tooLong = $"mtls:\n  backends:\n  - name: {longName}\n    type: builtin";
        AssertErrors([E("mtls.backends.name", "Backend name is too long. Max length: 255"), E("mtls.backends.name", $"\"{longName}\" name must be valid dns name")],
            Validate(tooLong));
    }

    [Fact]
    public void Kuma_changing_the_CA_while_mTLS_is_enabled_is_forbidden()
    {
        const string first = "mtls:\n  enabledBackend: builtin-1\n  backends:\n  - name: builtin-1\n    type: builtin";
        const string second = "mtls:\n  enabledBackend: builtin-2\n  backends:\n  - name: builtin-2\n    type: builtin";
        // Changed expectation: Kuma answers "Changing CA when mTLS is enabled is forbidden. ..."; here the same write is
        // refused because it drops the backend that issued until now (a rotation keeps it listed).
        AssertErrors([new FieldError("mtls.enabledBackend", MeshCaValidation.ChangeForbidden("builtin-1"))], Validate(second, previousYaml: first));
        // Kuma: allowed when mTLS was disabled first.
        Assert.Empty(Validate(second, previousYaml: "mtls:\n  backends:\n  - name: builtin-1\n    type: builtin"));
    }

    [Fact]
    public void A_rotation_switches_the_enabled_backend_while_the_previous_one_stays_listed()
    {
        const string first = "mtls:\n  enabledBackend: builtin-1\n  backends:\n  - name: builtin-1\n    type: builtin";
        const string both = "mtls:\n  enabledBackend: builtin-2\n  backends:\n  - name: builtin-1\n    type: builtin\n  - name: builtin-2\n    type: builtin";
        const string second = "mtls:\n  enabledBackend: builtin-2\n  backends:\n  - name: builtin-2\n    type: builtin";
        Assert.Empty(Validate(both, previousYaml: first));
        // Once the new backend issues, the previous one may go.
        Assert.Empty(Validate(second, previousYaml: both));
        // Switching back while both are listed is a rotation too.
        Assert.Empty(Validate(both.Replace("enabledBackend: builtin-2", "enabledBackend: builtin-1", StringComparison.Ordinal), previousYaml: both));
    }

    private static List<FieldError> ValidateInline(string cert, string key) =>
        Validate(Provided($"cert:\n  inline: {TestCertificates.Base64(cert)}\nkey:\n  inline: {TestCertificates.Base64(key)}"));

    [Fact]
    public void Kuma_provided_config_is_read_from_its_json_shape()
    {
        var node = JsonNode.Parse("""{"cert":{"inlineString":"x"},"key":{"secret":"k"}}""")!.AsObject();
        var conf = ProvidedCaConf.Read(node, []);
        Assert.Equal("x", conf!.Cert!.InlineString);
        Assert.Equal("k", conf.Key!.Secret);
    }
}
