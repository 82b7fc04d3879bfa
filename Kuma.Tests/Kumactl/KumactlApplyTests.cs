using System.Net;
using Kuma.Tests.Infrastructure;
using Kuma.Validation;

namespace Kuma.Tests.Kumactl;

/// <summary><c>kumactl apply</c>: many documents, templates, dry runs, and nothing applied when any document is bad.</summary>
public sealed class KumactlApplyTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>
{
    private ControlPlane Cp => fixture.ControlPlane;

    private const string Everything = """
        # a mesh, its dataplanes and policies, in one file
        ---
        type: Mesh
        name: demo
        ---
        type: Dataplane
        mesh: demo
        name: web-1
        networking:
          address: 10.0.0.1
          inbound:
          - port: 8080
            servicePort: 80
            tags:
              kuma.io/service: web
              kuma.io/protocol: http
        ---
        {"type": "Dataplane", "mesh": "demo", "name": "backend-1",
         "networking": {"address": "10.0.0.2", "inbound": [{"port": 9090, "tags": {"kuma.io/service": "backend"}}]}}
        ---
        type: MeshTimeout
        mesh: demo
        name: backend-timeout
        spec:
          targetRef:
            kind: Mesh
          to:
          - targetRef:
              kind: MeshService
              name: backend
            default:
              http:
                requestTimeout: 5s
        ---
        type: MeshTrafficPermission
        mesh: demo
        name: allow-web
        spec:
          targetRef:
            kind: Mesh
          from:
          - targetRef:
              kind: MeshSubset
              tags:
                kuma.io/service: web
            default:
              action: Allow
        ---
        type: Secret
        mesh: demo
        name: token
        data: c2VjcmV0
        """;

    private static readonly string[] Paths =
    [
        "/meshes/demo", "/meshes/demo/dataplanes/web-1", "/meshes/demo/dataplanes/backend-1", "/meshes/demo/meshtimeouts/backend-timeout",
        "/meshes/demo/meshtrafficpermissions/allow-web", "/meshes/demo/secrets/token",
    ];

    private static string Report(string action) => $"""
        resource type="Mesh" mesh="" name="demo" {action}
        resource type="Dataplane" mesh="demo" name="web-1" {action}
        resource type="Dataplane" mesh="demo" name="backend-1" {action}
        resource type="MeshTimeout" mesh="demo" name="backend-timeout" {action}
        resource type="MeshTrafficPermission" mesh="demo" name="allow-web" {action}
        resource type="Secret" mesh="demo" name="token" {action}

        """;

    [Fact]
    public async Task A_file_of_many_documents_is_applied_in_order_and_reapplying_updates()
    {
        var token = await Cp.CreateTenantAsync("kctl-apply");
        using var session = await KumactlSession.ConnectAsync(Cp, token);
        using var api = Cp.NewClient(token);
        var file = session.WriteFile("all.yaml", Everything);

        // The MeshTrafficPermission's `from` is deprecated in Kuma 2.14: the API's warning reaches the user on stderr.
        const string FromDeprecated = "Warning: 'from' field is deprecated and will be removed in 3.0, use 'rules' with MeshIdentity (spiffeId) instead\n";
        Assert.Equal(new KumactlResult(0, Report("Created"), FromDeprecated), await session.RunAsync("apply", "-f", file));
        foreach (var path in Paths) Assert.Equal(HttpStatusCode.OK, (await api.GetAsync(path)).StatusCode);
        Assert.Equal(new KumactlResult(0, Report("Updated"), FromDeprecated), await session.RunAsync("apply", "-f", file));
        Assert.Contains("\"requestTimeout\":\"5s\"", await api.GetStringAsync("/meshes/demo/meshtimeouts/backend-timeout"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stdin_directories_variables_and_dry_runs()
    {
        var token = await Cp.CreateTenantAsync("kctl-apply-in");
        using var session = await KumactlSession.ConnectAsync(Cp, token);
        using var api = Cp.NewClient(token);

        Assert.Equal(new KumactlResult(0, "resource type=\"Mesh\" mesh=\"\" name=\"from-stdin\" Created\n", ""),
            await session.RunWithInputAsync("type: Mesh\nname: from-stdin\n", "apply", "-f", "-"));

        session.WriteFile("dir/01-mesh.yaml", "type: Mesh\nname: dir-mesh\n");
        session.WriteFile("dir/02-dataplane.yml", "type: Dataplane\nmesh: dir-mesh\nname: dp\nnetworking:\n  address: 10.0.0.9\n  inbound:\n  - port: 80\n    tags:\n      kuma.io/service: web\n");
        session.WriteFile("dir/ignored.txt", "not: applied");
        Assert.Equal(new KumactlResult(0, "resource type=\"Mesh\" mesh=\"\" name=\"dir-mesh\" Created\nresource type=\"Dataplane\" mesh=\"dir-mesh\" name=\"dp\" Created\n", ""),
            await session.RunAsync("apply", "-f", Path.GetDirectoryName(session.WriteFile("dir/.keep", ""))!));

        var template = session.WriteFile("template.yaml", """
            name: sample
            mesh: dir-mesh
            type: Dataplane
            networking:
              address: "{{ address }}"
              inbound:
                - port: 80
                  tags:
                    "kuma.io/service": "{{ var.with.dots }}"
            """);
        Assert.Equal(new KumactlResult(0, """
            mesh: dir-mesh
            name: sample
            type: Dataplane
            networking:
              address: 2.2.2.2
              inbound:
              - port: 80
                tags:
                  kuma.io/service: web

            """, ""), await session.RunAsync("apply", "-f", template, "--dry-run", "--var", "address=2.2.2.2", "-v", "var.with.dots=web"));
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/meshes/dir-mesh/dataplanes/sample")).StatusCode);

        Assert.Equal(new KumactlResult(0, "resource type=\"Dataplane\" mesh=\"dir-mesh\" name=\"sample\" Created\n", ""),
            await session.RunAsync("apply", "-f", template, "--var", "address=2.2.2.2", "--var", "var.with.dots=web"));
        Assert.Contains("\"address\":\"2.2.2.2\"", await api.GetStringAsync("/meshes/dir-mesh/dataplanes/sample"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_bad_document_is_reported_and_nothing_is_applied()
    {
        var token = await Cp.CreateTenantAsync("kctl-apply-bad");
        using var session = await KumactlSession.ConnectAsync(Cp, token);
        using var api = Cp.NewClient(token);
        var yamlError = YamlError("\"gewfew");
        var file = session.WriteFile("bad.yaml", """
            type: Mesh
            name: good
            ---
            "gewfew
            ---
            type: Foo
            name: bam
            ---
            type: Dataplane
            name: no-mesh
            networking:
              address: 10.0.0.1
              inbound:
              - port: 80
                tags:
                  kuma.io/service: web
            ---
            type: MeshTimeout
            mesh: good
            name: Bad_Name
            extra: field
            spec:
              targetRef:
                kind: Mesh
              to:
              - targetRef:
                  kind: MeshService
                  name: backend
                default:
                  connectionTimeout: soon
            """);

        var result = await session.RunAsync("apply", "-f", file);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.Equal($"""
            resource[1]: failed to parse resource: {yamlError}
            resource[2]: failed to parse resource: invalid resource type "Foo"
            resource[3]: resource type="Dataplane" mesh="" name="no-mesh" is not valid:
              * mesh: cannot be empty
            resource[4]: resource type="MeshTimeout" mesh="good" name="Bad_Name" is not valid:
              * name: invalid characters. A lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character
              * extra: unknown field
              * spec.to[0].default.connectionTimeout: must be a valid duration, e.g. 10s, 500ms, 1h30m
            Error: failed to validate some resources

            """, result.Err);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/meshes/good")).StatusCode);
    }

    [Fact]
    public async Task A_later_invalid_document_stops_the_whole_file_and_empty_input_is_refused()
    {
        var token = await Cp.CreateTenantAsync("kctl-apply-later");
        using var session = await KumactlSession.ConnectAsync(Cp, token);
        using var api = Cp.NewClient(token);
        var file = session.WriteFile("later.yaml", """
            type: Mesh
            name: first
            ---
            type: Dataplane
            mesh: first
            name: web
            networking:
              address: 10.0.0.1
              inbound:
              - port: 80
                tags:
                  kuma.io/service: web
            ---
            type: MeshTrafficPermission
            mesh: first
            name: broken
            spec:
              targetRef:
                kind: Mesh
              from:
              - targetRef:
                  kind: Mesh
                default:
                  action: Maybe
            """);
        var result = await session.RunAsync("apply", "-f", file);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.StartsWith("resource[2]: resource type=\"MeshTrafficPermission\" mesh=\"first\" name=\"broken\" is not valid:\n  * spec.from[0].default.action: ", result.Err, StringComparison.Ordinal);
        Assert.EndsWith("\nError: failed to validate some resources\n", result.Err, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/meshes/first")).StatusCode);

        Assert.Equal(new KumactlResult(1, "", "Error: no resource(s) passed to apply\n"), await session.RunWithInputAsync("\n", "apply", "-f", "-"));
        Assert.Equal(1, (await session.RunAsync("apply", "-f", "/no/such/file.yaml")).ExitCode);
    }

    [Fact]
    public async Task A_server_refusal_is_printed_as_its_fields_and_reasons()
    {
        var token = await Cp.CreateTenantAsync("kctl-apply-srv");
        using var session = await KumactlSession.ConnectAsync(Cp, token);
        // Valid on its own, but its mesh does not exist: only the control plane can tell.
        var file = session.WriteFile("orphan.yaml", "type: Secret\nmesh: nowhere\nname: s\ndata: c2VjcmV0\n");
        Assert.Equal(new KumactlResult(1, "", "Error: resource type=\"Secret\" mesh=\"nowhere\" name=\"s\": failed server side: Failed to retrieve Mesh: Not found\n"),
            await session.RunAsync("apply", "-f", file));
    }

    private static string YamlError(string text)
    {
        try
        {
            YamlToJson.Convert(text);
        }
        catch (YamlTreeException e)
        {
            return e.Message;
        }
        throw new InvalidOperationException("the text was meant to be bad YAML");
    }
}
