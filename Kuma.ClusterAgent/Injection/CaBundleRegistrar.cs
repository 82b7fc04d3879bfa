namespace Kuma.ClusterAgent.Injection;

/// <summary>
/// Writes a generated CA into the MutatingWebhookConfiguration until it succeeds: until then the API server cannot
/// verify the webhook (failurePolicy decides what happens to pods meanwhile).
/// </summary>
internal sealed class CaBundleRegistrar(WebhookCertificate certificate, IInjectionCluster cluster, ILogger<CaBundleRegistrar> logger, TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (certificate.GeneratedCaPem is not { } ca) return;
        var bundle = System.Text.Encoding.UTF8.GetBytes(ca);
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await cluster.PatchWebhookCaBundleAsync(InjectionOptions.WebhookConfigurationName, bundle, stoppingToken);
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                InjectionLog.CaBundlePatchFailed(logger, InjectionOptions.WebhookConfigurationName, e.Message);
            }
            await Task.Delay(delay, time, stoppingToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxBackoff.Ticks));
        }
    }
}
