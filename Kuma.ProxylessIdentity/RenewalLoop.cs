using System.Globalization;

namespace Kuma.ProxylessIdentity;

/// <summary>
/// Polls the control plane and keeps the files current. The control plane decides when a certificate is renewed
/// (four fifths of its lifetime, or when the mesh's mTLS changed); a poll in between costs it nothing but a 304.
/// While it cannot be reached or refuses, the files stay as they are and the poll backs off.
/// </summary>
internal sealed class RenewalLoop(HelperOptions options, IdentityClient client, TextWriter log)
{
    private static readonly TimeSpan MaximumBackoff = TimeSpan.FromMinutes(1);

    private string? _heldVersion;
    private DateTimeOffset? _heldNotAfter;
    private string? _writtenBootstrap;
    private TimeSpan _backoff;
    private bool _justWrote;

    /// <summary>One poll: true when the files hold a current identity afterwards.</summary>
    public async Task<bool> PollAsync(CancellationToken ct)
    {
        string token;
        try
        {
            token = (await File.ReadAllTextAsync(options.TokenFile, ct)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log("error", $"cannot read the dataplane token from {options.TokenFile}: {e.Message}");
            return false;
        }
        if (token.Length == 0)
        {
            Log("error", $"the token file {options.TokenFile} is empty");
            return false;
        }

        FetchResult result;
        try
        {
            result = await client.FetchAsync(token, _heldVersion, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or KeyNotFoundException && !ct.IsCancellationRequested)
        {
            Log("warn", $"control plane {options.Address} unreachable or answered badly: {e.Message}; {Keeping()}");
            return false;
        }

        switch (result)
        {
            case FetchResult.Issued { Identity: var identity }:
                IdentityFiles.Write(options.Directory, identity.Version, identity.CertificateChain, identity.PrivateKey, identity.CaBundle);
                _heldVersion = identity.Version;
                _heldNotAfter = identity.NotAfter;
                _justWrote = true;
                Log("info", $"wrote the identity of {options.Mesh}.{options.Name} (version {identity.Version}) to {options.Directory}: valid until {Time(identity.NotAfter)}, renewal due {Time(identity.RenewAt)}");
                break;
            case FetchResult.Refused { Status: var status, Detail: var detail }:
                Log("error", $"control plane refused ({status}): {detail}; {Keeping()}");
                return false;
        }
        WriteBootstrap(token);
        return true;
    }

    private static readonly TimeSpan RefreshMargin = TimeSpan.FromSeconds(1);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Polls until <paramref name="ct"/> is cancelled, backing off (up to a minute) while polls fail.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            bool ok;
            try
            {
                ok = await PollAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            _backoff = ok ? TimeSpan.Zero : _backoff == TimeSpan.Zero ? options.PollInterval : Min(_backoff * 2, MaximumBackoff);
            // The next poll names the version held, which the control plane takes as "the workload trusts this CA
            // bundle" (a CA rotation waits for it). Files are only trusted once gRPC has read them again, so after
            // new files that poll waits for one refresh of gRPC's file watcher.
            var wait = !ok ? _backoff : _justWrote ? Max(options.PollInterval, options.RefreshInterval + RefreshMargin) : options.PollInterval;
            _justWrote = false;
            if (!ok) Log("info", $"asking again in {wait.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)}s");
            try
            {
                await Task.Delay(wait, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Written once there is an identity to name, again only when its content changes (a rotated token).</summary>
    private void WriteBootstrap(string token)
    {
        if (options.BootstrapOut is not { } path) return;
        var bootstrap = GrpcBootstrap.Render(options, token);
        if (bootstrap == _writtenBootstrap) return;
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } parent) Directory.CreateDirectory(parent);
        // It holds the token: readable by the owner only.
        IdentityFiles.WriteFile(path, bootstrap, IdentityFiles.OwnerOnly);
        _writtenBootstrap = bootstrap;
        Log("info", $"wrote the gRPC xDS bootstrap to {path}");
    }

    private string Keeping() => _heldNotAfter is { } notAfter
        ? $"keeping the current files (valid until {Time(notAfter)})"
        : "no identity written yet";

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private void Log(string level, string message) =>
        log.WriteLine($"{Time(DateTimeOffset.UtcNow)} {level} {message}");
}
