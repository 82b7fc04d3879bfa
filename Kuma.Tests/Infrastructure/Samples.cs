namespace Kuma.Tests.Infrastructure;

/// <summary>A valid body for every resource type, and a path to PUT it at, inside mesh <c>{mesh}</c>.</summary>
public static class Samples
{
    public sealed record Sample(string Type, string Plural, bool MeshScoped, Func<string, string, string> Body);

    public static string Dataplane(string mesh, string name, string service = "web", string address = "10.0.0.1", int port = 8080) => """
        {"type":"Dataplane","mesh":"@MESH@","name":"@NAME@","networking":{"address":"@ADDRESS@",
         "inbound":[{"port":@PORT@,"servicePort":80,"tags":{"kuma.io/service":"@SERVICE@","kuma.io/protocol":"http"}}],
         "outbound":[{"port":10001,"tags":{"kuma.io/service":"backend"}}]}}
        """.Fill(mesh, name).Replace("@SERVICE@", service).Replace("@ADDRESS@", address).Replace("@PORT@", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static string Fill(this string template, string mesh, string name) => template.Replace("@MESH@", mesh).Replace("@NAME@", name);

    public static readonly Sample[] All =
    [
        new("Mesh", "meshes", false, (mesh, name) => """{"type":"Mesh","name":"@NAME@","mtls":{"enabledBackend":"ca-1","backends":[{"name":"ca-1","type":"builtin"}]},"networking":{"outbound":{"passthrough":false}}}""".Fill(mesh, name)),
        new("Dataplane", "dataplanes", true, (mesh, name) => Dataplane(mesh, name)),
        new("Secret", "secrets", true, (mesh, name) => """{"type":"Secret","mesh":"@MESH@","name":"@NAME@","data":"c2VjcmV0"}""".Fill(mesh, name)),
        new("GlobalSecret", "global-secrets", false, (mesh, name) => """{"type":"GlobalSecret","name":"@NAME@","data":"c2VjcmV0"}""".Fill(mesh, name)),
        new("MeshTimeout", "meshtimeouts", true, (mesh, name) => """
            {"type":"MeshTimeout","mesh":"@MESH@","name":"@NAME@","spec":{"targetRef":{"kind":"Mesh"},
             "to":[{"targetRef":{"kind":"MeshService","name":"backend"},"default":{"connectionTimeout":"2s","idleTimeout":"20s","http":{"requestTimeout":"5s"}}}]}}
            """.Fill(mesh, name)),
        new("MeshRetry", "meshretries", true, (mesh, name) => """
            {"type":"MeshRetry","mesh":"@MESH@","name":"@NAME@","spec":{"targetRef":{"kind":"Mesh"},
             "to":[{"targetRef":{"kind":"Mesh"},"default":{"http":{"numRetries":3,"retryOn":["5xx","503"],"backOff":{"baseInterval":"10ms","maxInterval":"1s"}},"grpc":{"retryOn":["Unavailable"]}}}]}}
            """.Fill(mesh, name)),
        new("MeshCircuitBreaker", "meshcircuitbreakers", true, (mesh, name) => """
            {"type":"MeshCircuitBreaker","mesh":"@MESH@","name":"@NAME@","spec":{"targetRef":{"kind":"Mesh"},
             "to":[{"targetRef":{"kind":"Mesh"},"default":{"connectionLimits":{"maxConnections":10},"outlierDetection":{"detectors":{"totalFailures":{"consecutive":3},"successRate":{"standardDeviationFactor":"1.9"}}}}}]}}
            """.Fill(mesh, name)),
        new("MeshHealthCheck", "meshhealthchecks", true, (mesh, name) => """
            {"type":"MeshHealthCheck","mesh":"@MESH@","name":"@NAME@","spec":{"targetRef":{"kind":"Mesh"},
             "to":[{"targetRef":{"kind":"MeshService","name":"backend"},"default":{"interval":"10s","unhealthyThreshold":3,"healthyPanicThreshold":"62.5","http":{"path":"/health","expectedStatuses":[200]},"tcp":{"send":"cGluZwo="}}}]}}
            """.Fill(mesh, name)),
        new("MeshMetric", "meshmetrics", true, (mesh, name) => """
            {"type":"MeshMetric","mesh":"@MESH@","name":"@NAME@","spec":{"targetRef":{"kind":"Mesh"},
             "default":{"sidecar":{"profiles":{"appendProfiles":[{"name":"Basic"}]}},"backends":[{"type":"Prometheus","prometheus":{"port":5670,"path":"/metrics"}}]}}}
            """.Fill(mesh, name)),
        new("MeshTrafficPermission", "meshtrafficpermissions", true, (mesh, name) => """
            {"type":"MeshTrafficPermission","mesh":"@MESH@","name":"@NAME@","spec":{"targetRef":{"kind":"Mesh"},
             "from":[{"targetRef":{"kind":"MeshSubset","tags":{"kuma.io/service":"web"}},"default":{"action":"Allow"}}]}}
            """.Fill(mesh, name)),
    ];

    public static string PathOf(Sample sample, string mesh, string name) =>
        sample.MeshScoped ? $"/meshes/{mesh}/{sample.Plural}/{name}" : $"/{sample.Plural}/{name}";

    public static Sample Get(string type) => All.Single(s => s.Type == type);
}
