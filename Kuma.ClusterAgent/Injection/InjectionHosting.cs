using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Kuma.ClusterAgent.Injection;

/// <summary>
/// Entry points for the agent's Program: <see cref="AddInjection"/> registers the webhook's services,
/// <see cref="ListenForWebhook"/> opens its HTTPS port, <see cref="MapInjection"/> maps <c>POST /inject</c>.
/// The host supplies <see cref="INamespaceLookup"/>, <see cref="IDataplaneTokenIssuer"/> and <see cref="IInjectionCluster"/>
/// (use <see cref="AddKubernetesInjectionCluster"/> for the KubernetesClient-backed one).
/// </summary>
public static class InjectionHosting
{
    internal static IServiceCollection AddInjection(this IServiceCollection services, InjectionOptions options, WebhookCertificate? certificate = null)
    {
        services.AddSingleton(options);
        services.AddSingleton(certificate ?? WebhookCertificate.Load(options));
        services.AddSingleton<DataplaneTokenSecrets>();
        services.AddSingleton<PodInjector>();
        services.AddSingleton<AdmissionReviewEndpoint>();
        services.AddHostedService<CaBundleRegistrar>();
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }

    /// <summary>The production <see cref="IInjectionCluster"/>, over the host's registered <see cref="k8s.IKubernetes"/>.</summary>
    public static IServiceCollection AddKubernetesInjectionCluster(this IServiceCollection services) =>
        services.AddSingleton<IInjectionCluster, KubernetesInjectionCluster>();

    /// <summary>HTTPS on KUMA_AGENT_WEBHOOK_PORT (all interfaces) with the webhook's certificate; call from ConfigureKestrel.</summary>
    public static void ListenForWebhook(this KestrelServerOptions kestrel)
    {
        var services = kestrel.ApplicationServices;
        var options = services.GetRequiredService<InjectionOptions>();
        var certificate = services.GetRequiredService<WebhookCertificate>();
        InjectionLog.ServingCertificate(services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(InjectionHosting)),
            certificate.GeneratedCaPem is null ? "file" : "generated", options.ServiceDnsName);
        kestrel.ListenAnyIP(options.WebhookPort, listen => listen.UseHttps(certificate.Serving));
    }

    public static IEndpointConventionBuilder MapInjection(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost(AdmissionReviewEndpoint.Path, context => context.RequestServices.GetRequiredService<AdmissionReviewEndpoint>().HandleAsync(context));
}
