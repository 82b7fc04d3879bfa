using Kuma.Configuration;
using Kuma.Gateway.Api;
using Kuma.Gateway.Auth;

namespace Kuma.Gateway.Hosting;

/// <summary>Wires the REST API into any host that can reach the grains (the silo itself, or an Orleans client).</summary>
public static class ApiServices
{
    public static IServiceCollection AddKumaApi(this IServiceCollection services, KumaSettings settings)
    {
        var options = ApiOptions.From(settings);
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<TenantDirectory>();
        services.AddSingleton<UserTokenVerifier>();
        services.AddSingleton(new TenantRateLimiter(options.TenantRequestsPerSecond));
        services.AddSingleton<ResourceEndpoints>();
        services.AddSingleton<TenantEndpoints>();
        services.AddSingleton<TokenEndpoints>();
        services.AddSingleton<IndexEndpoints>();
        services.AddSingleton<ApiDispatcher>();
        return services;
    }

    /// <summary>Listens on the API address; our body limit answers 413 in Kuma's shape, so Kestrel's own is lifted.</summary>
    public static void ListenKumaApi(this WebApplicationBuilder builder, KumaSettings settings)
    {
        var options = ApiOptions.From(settings);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(System.Net.IPAddress.Parse(options.Interface), options.Port);
        });
    }

    public static void MapKumaApi(this WebApplication app)
    {
        var dispatcher = app.Services.GetRequiredService<ApiDispatcher>();
        app.Run(dispatcher.HandleAsync);
    }
}
