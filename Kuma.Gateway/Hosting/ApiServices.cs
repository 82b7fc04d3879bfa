using System.Net;
using Kuma.Configuration;
using Kuma.Gateway.Api;
using Kuma.Gateway.Auth;
using Kuma.Gateway.Dp;
using Kuma.Grains;
using Kuma.Policies;
using Kuma.Xds.Generation;
using Kuma.Gateway.Dp.Hub;
using Kuma.Gateway.Dp.Sds;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kuma.Gateway.Hosting;

/// <summary>
/// Wires the gateway tier into any host that can reach the grains (the silo itself, or an Orleans
/// client): the REST API on its port, and the DP server (ADS, bootstrap) on its own.
/// </summary>
public static class ApiServices
{
    private static readonly TimeSpan SiloLeaveAllowance = TimeSpan.FromSeconds(5);

    public static IServiceCollection AddKumaApi(this IServiceCollection services, KumaSettings settings)
    {
        var options = ApiOptions.From(settings);
        services.AddSingleton(options);
        services.AddSingleton(PolicyTypes.Catalog);
        services.AddSingleton(TimeProvider.System);
        services.TryAddSingleton(CertificateClock.System);
        services.AddSingleton<TenantDirectory>();
        services.AddSingleton<UserTokenVerifier>();
        services.AddSingleton<ApiNodeCount>();
        services.AddHostedService(sp => sp.GetRequiredService<ApiNodeCount>());
        services.AddSingleton(sp =>
        {
            var nodes = sp.GetRequiredService<ApiNodeCount>();
            return new TenantRateLimiter(options.TenantRequestsPerSecond, () => nodes.Count);
        });
        services.AddSingleton<ResourceEndpoints>();
        services.AddSingleton<TenantEndpoints>();
        services.AddSingleton<TokenEndpoints>();
        services.AddSingleton<IndexEndpoints>();
        services.AddSingleton<InspectEndpoints>();
        services.AddSingleton<InsightEndpoints>();
        services.AddSingleton<UsageEndpoint>();
        services.AddSingleton<ApiDispatcher>();

        var dp = DpServerOptions.From(settings);
        services.AddSingleton(dp);
        services.AddSingleton(new MetadataEndpoints(options, dp, settings.GetString("KUMA_STORE_TYPE", "memory").ToLowerInvariant()));
        services.AddSingleton(sp => new FailedAuthLimiter(dp.AuthFailuresPerMinute, sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<SelfRegisteredLeaseRenewer>();
        // Streams end when stopping begins (see MapKumaApi); what is left after the drain is cut, and the
        // silo gets a short allowance to leave the cluster in good order: never the host's default 30 s.
        services.Configure<HostOptions>(host => host.ShutdownTimeout = dp.DrainTimeout + SiloLeaveAllowance);
        services.AddSingleton<DataplaneAuthenticator>();
        services.AddSingleton<GatewayNode>();
        services.AddSingleton<ConnectionAges>();
        services.AddSingleton<InsightReporter>();
        services.AddSingleton<ConfigBuildGate>();
        services.AddSingleton<CaRollouts>();
        services.AddSingleton(DpServerTlsFiles.Load(settings));
        services.AddSingleton<DpCertificateProvider>();
        services.AddSingleton(BootstrapSettings.From(settings));
        services.AddSingleton<CleartextHttpVersions>();
        services.AddSingleton<BootstrapEndpoint>();
        services.AddSingleton<ProxylessIdentities>();
        services.AddSingleton<IdentityEndpoint>();
        services.AddSingleton(sp => new MeshHub<MeshContext>(
            sp.GetRequiredService<IGrainFactory>(), MeshContext.Build, sp.GetRequiredService<DpServerOptions>().MeshPushInterval,
            sp.GetRequiredService<ILogger<MeshHub<MeshContext>>>()));
        services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = 4 * 1024 * 1024;
            grpc.MaxSendMessageSize = null;
            grpc.EnableDetailedErrors = false;
        });
        return services;
    }

    /// <summary>
    /// The API's own body limit answers 413 in Kuma's shape, so Kestrel's is lifted. The DP port speaks HTTP/2 and
    /// HTTP/1.1 both in TLS (by ALPN) and, when TLS is off, in plaintext (<see cref="CleartextHttpVersions"/>).
    /// </summary>
    public static void ListenKumaApi(this WebApplicationBuilder builder, KumaSettings settings)
    {
        var api = ApiOptions.From(settings);
        var dp = DpServerOptions.From(settings);
        if (api.Port == dp.Port) throw new KumaConfigurationException("KUMA_API_SERVER_HTTP_PORT and KUMA_DP_SERVER_PORT must differ");
        if (api.HttpsEnabled && (api.HttpsPort == api.Port || api.HttpsPort == dp.Port))
            throw new KumaConfigurationException("KUMA_API_SERVER_HTTPS_PORT must differ from KUMA_API_SERVER_HTTP_PORT and KUMA_DP_SERVER_PORT");
        // Thousands of proxies (re)connecting at once overflowed the default accept queue of 512;
        // the kernel caps this at net.core.somaxconn.
        builder.WebHost.UseSockets(sockets => sockets.Backlog = 4096);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
            kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
            kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
            kestrel.Listen(IPAddress.Parse(api.Interface), api.Port);
            if (api.HttpsEnabled)
            {
                kestrel.Listen(IPAddress.Parse(api.HttpsInterface), api.HttpsPort, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    var certificates = listen.ApplicationServices.GetRequiredService<DpCertificateProvider>();
                    listen.UseHttps(new TlsHandshakeCallbackOptions { OnConnection = _ => certificates.ServerOptionsAsync() });
                });
            }
            var cleartext = dp.TlsEnabled ? null : kestrel.ApplicationServices.GetRequiredService<CleartextHttpVersions>();
            if (cleartext is not null)
            {
                // Bound first, so its HTTP/1.1 pipeline exists before the DP port takes a connection.
                kestrel.ListenUnixSocket(Path.Combine(Path.GetTempPath(), $"kuma-dp-http1-{Guid.NewGuid():N}.sock"), listen =>
                {
                    listen.Protocols = HttpProtocols.Http1;
                    listen.Use(cleartext.CaptureHttp1);
                });
            }
            kestrel.Listen(IPAddress.Parse(dp.Interface), dp.Port, listen =>
            {
                var ages = listen.ApplicationServices.GetRequiredService<ConnectionAges>();
                listen.Use(next => connection => ages.TrackAsync(connection, next));
                if (cleartext is not null)
                {
                    listen.Protocols = HttpProtocols.Http2;
                    listen.Use(cleartext.Route);
                    return;
                }
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                var certificates = listen.ApplicationServices.GetRequiredService<DpCertificateProvider>();
                listen.UseHttps(new TlsHandshakeCallbackOptions { OnConnection = _ => certificates.ServerOptionsAsync() });
            });
        });
    }

    public static void MapKumaApi(this WebApplication app)
    {
        var api = app.Services.GetRequiredService<ApiOptions>();
        var (apiPort, httpsPort) = (api.Port, api.HttpsEnabled ? api.HttpsPort : -1);
        var dispatcher = app.Services.GetRequiredService<ApiDispatcher>();
        app.MapWhen(context => context.Connection.LocalPort == apiPort || context.Connection.LocalPort == httpsPort, api => api.Run(dispatcher.HandleAsync));
        app.MapGrpcService<AdsService>();
        // Before Kestrel stops (it then says GOAWAY and waits for open streams), end every ADS stream with
        // UNAVAILABLE so proxies reconnect elsewhere now rather than when the connection is cut.
        var node = app.Services.GetRequiredService<GatewayNode>();
        app.Lifetime.ApplicationStopping.Register(node.CloseAll);
        var bootstrap = app.Services.GetRequiredService<BootstrapEndpoint>();
        app.MapPost("/bootstrap", bootstrap.HandleAsync);
        app.MapGet(IdentityEndpoint.Path, app.Services.GetRequiredService<IdentityEndpoint>().HandleAsync);
    }
}
