using Kuma.ClusterAgent.Injection;
using Kuma.ClusterAgent.Sync;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kuma.ClusterAgent.Hosting;

/// <summary>The agent's web host: the sync loops as a hosted service, health endpoints, and the admission webhook.</summary>
internal static class AgentHost
{
    public static WebApplication Build(string[] args, AgentOptions options, k8s.KubernetesClientConfiguration kubeConfig)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        // One HTTPS port serves the webhook and the health endpoints: the API server calls webhooks over TLS only.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenForWebhook());
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(_ => new k8s.Kubernetes(kubeConfig));
        builder.Services.AddSingleton<k8s.IKubernetes>(sp => sp.GetRequiredService<k8s.Kubernetes>());
        builder.Services.AddSingleton(sp => new ControlPlaneClient(ControlPlaneHttp.Create(options), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ControlPlaneClient>>()));
        builder.Services.AddSingleton<AgentReadiness>();
        builder.Services.AddHostedService<AgentService>();
        builder.Services.AddInjection(options.ToInjection());
        builder.Services.AddKubernetesInjectionCluster();
        builder.Services.AddSingleton<INamespaceLookup, AgentNamespaceLookup>();
        builder.Services.AddSingleton<IDataplaneTokenIssuer, AgentTokenIssuer>();

        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Ok("ok"));
        app.MapGet("/readyz", (AgentReadiness readiness) => readiness.IsReady ? Results.Ok("ready") : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
        app.MapInjection();
        return app;
    }
}
