using Kuma.Tests.Kubernetes.Infrastructure;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Kuma.ClusterAgent.Injection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Kuma.Tests.Kubernetes.Injection;

/// <summary>
/// The webhook as the API server meets it: Kestrel on 127.0.0.1 with a generated certificate, reached by the name the
/// MutatingWebhookConfiguration uses and trusted only through the CA the agent registered as caBundle.
/// </summary>
internal sealed class WebhookServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _client;
    private readonly string _host;
    private readonly int _port;

    public FakeNamespaces Namespaces { get; }
    public FakeTokenIssuer Tokens { get; }
    public InMemoryInjectionCluster Cluster { get; }
    public WebhookCertificate Certificate { get; }

    private WebhookServer(WebApplication app, InjectionOptions options, WebhookCertificate certificate, FakeNamespaces namespaces, FakeTokenIssuer tokens, InMemoryInjectionCluster cluster)
    {
        _app = app;
        Namespaces = namespaces;
        Tokens = tokens;
        Cluster = cluster;
        Certificate = certificate;
        _host = options.ServiceDnsName;
        _port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;
        _client = WebhookClient.Create(certificate.GeneratedCaPem!, _port);
    }

    public static async Task<WebhookServer> StartAsync(InjectionOptions options, IDataplaneTokenIssuer? issuer = null)
    {
        var namespaces = new FakeNamespaces();
        var tokens = new FakeTokenIssuer();
        var cluster = new InMemoryInjectionCluster();
        var certificate = WebhookCertificate.Generate(options.ServiceDnsName, DateTimeOffset.UtcNow);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<INamespaceLookup>(namespaces);
        builder.Services.AddSingleton(issuer ?? tokens);
        builder.Services.AddSingleton<IInjectionCluster>(cluster);
        builder.Services.AddInjection(options, certificate);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate.Serving)));
        var app = builder.Build();
        app.MapInjection();
        await app.StartAsync();
        return new WebhookServer(app, options, certificate, namespaces, tokens, cluster);
    }

    public Task<HttpResponseMessage> PostAsync(HttpContent content) => _client.PostAsync(new Uri($"https://{_host}:{_port}/inject"), content);

    public Task<HttpResponseMessage> PostAsync(string body) => PostAsync(new StringContent(body, Encoding.UTF8, "application/json"));

    /// <summary>Sends a review that must be answered 200 and returns its response object.</summary>
    public async Task<JsonObject> ReviewAsync(JsonObject review)
    {
        using var answer = await PostAsync(review.ToJsonString());
        var text = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == HttpStatusCode.OK, $"HTTP {(int)answer.StatusCode}: {text}");
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal("admission.k8s.io/v1", body["apiVersion"]!.GetValue<string>());
        Assert.Equal("AdmissionReview", body["kind"]!.GetValue<string>());
        var response = body["response"]!.AsObject();
        Assert.Equal(review["request"]!["uid"]!.GetValue<string>(), response["uid"]!.GetValue<string>());
        return response;
    }

    /// <summary>The pod after the API server applied the webhook's patch (the pod unchanged when there was none).</summary>
    public async Task<JsonObject> InjectAsync(JsonObject pod, string @namespace = "default", bool dryRun = false)
    {
        var response = await ReviewAsync(AdmissionReviews.Create(pod, @namespace, dryRun));
        Assert.True(response["allowed"]!.GetValue<bool>(), $"not allowed: {response.ToJsonString()}");
        if (response["patch"] is null) return pod;
        Assert.Equal("JSONPatch", response["patchType"]!.GetValue<string>());
        var patch = JsonNode.Parse(Convert.FromBase64String(response["patch"]!.GetValue<string>()))!.AsArray();
        return JsonPatchApplier.Apply(pod, patch).AsObject();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// An HTTPS client that reaches a webhook on 127.0.0.1 by any name and trusts nothing but the given CA, as the API
/// server trusts a webhook only through its caBundle.
/// </summary>
internal static class WebhookClient
{
    public static HttpClient Create(string caPem, int port)
    {
        var trusted = X509Certificate2.CreateFromPem(caPem);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0 || certificate is null) return false;
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(trusted);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(new X509Certificate2(certificate));
                },
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }
}

internal static class AdmissionReviews
{
    private static int _next;

    /// <summary>An AdmissionReview v1 for a Pod CREATE, shaped like the API server's.</summary>
    public static JsonObject Create(JsonObject pod, string @namespace = "default", bool dryRun = false) => new()
    {
        ["apiVersion"] = "admission.k8s.io/v1",
        ["kind"] = "AdmissionReview",
        ["request"] = new JsonObject
        {
            ["uid"] = $"705ab4f5-6393-11e8-b7cc-42010a80{Interlocked.Increment(ref _next):x4}",
            ["kind"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["kind"] = "Pod" },
            ["resource"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["resource"] = "pods" },
            ["requestKind"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["kind"] = "Pod" },
            ["requestResource"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["resource"] = "pods" },
            ["name"] = pod["metadata"]?["name"]?.DeepClone(),
            ["namespace"] = @namespace,
            ["operation"] = "CREATE",
            ["userInfo"] = new JsonObject { ["username"] = "system:serviceaccount:kube-system:replicaset-controller", ["uid"] = "4c3f5b38-0000-4000-8000-000000000001", ["groups"] = new JsonArray("system:serviceaccounts", "system:authenticated") },
            ["object"] = pod.DeepClone(),
            ["oldObject"] = null,
            ["dryRun"] = dryRun,
            ["options"] = new JsonObject { ["apiVersion"] = "meta.k8s.io/v1", ["kind"] = "CreateOptions" },
        },
    };
}
