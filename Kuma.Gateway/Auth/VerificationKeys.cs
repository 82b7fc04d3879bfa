using System.Collections.Frozen;
using System.Security.Cryptography;
using Kuma.Grains;

namespace Kuma.Gateway.Auth;

/// <summary>
/// One kind's public keys, fetched from its issuer grain and kept on this node. A key id not seen
/// before triggers at most one fetch per interval for the whole node, whoever sends it, so forged
/// tokens cost one dictionary lookup and cannot make the cluster do work per token. While tokens keep
/// arriving, the whole set is fetched again in the background once per interval, so a removed key stops
/// being accepted on every node within that interval (at once on the node that removed it).
/// </summary>
public sealed class VerificationKeys(IGrainFactory grains, string kind, TimeProvider clock) : IDisposable
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);
    private FrozenDictionary<string, RSA> _keys = FrozenDictionary<string, RSA>.Empty;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private DateTimeOffset _nextRefresh = DateTimeOffset.MinValue;

    public RSA? Find(string keyId) => Volatile.Read(ref _keys).GetValueOrDefault(keyId);

    /// <summary>Makes sure <paramref name="keyId"/> is known if the issuer has it, fetching at most once per interval.</summary>
    public async ValueTask EnsureAsync(string keyId)
    {
        if (Volatile.Read(ref _keys).ContainsKey(keyId))
        {
            if (clock.GetUtcNow() >= _nextRefresh && _refresh.Wait(0)) _ = RefreshHeldAsync(background: true);
            return;
        }
        // Unknown ids queue here rather than being turned away while a fetch is under way: ten thousand
        // proxies reconnecting to a fresh node all wait for its first fetch, and are all let in after it.
        await _refresh.WaitAsync();
        if (Volatile.Read(ref _keys).ContainsKey(keyId) || clock.GetUtcNow() < _nextRefresh)
        {
            _refresh.Release();
            return;
        }
        await RefreshHeldAsync(background: false);
    }

    /// <summary>Fetches the set now (after a key was added or removed through this node).</summary>
    public async Task RefreshNowAsync()
    {
        await _refresh.WaitAsync();
        await RefreshHeldAsync(background: false);
    }

    /// <summary>Runs with the gate held, and releases it. A failure keeps the last known set; only a waiting caller hears of it.</summary>
    private async Task RefreshHeldAsync(bool background)
    {
        try
        {
            // A failed fetch (store or silo down) may be retried soon, but not by every request meanwhile.
            _nextRefresh = clock.GetUtcNow() + RetryInterval;
            var fetched = await grains.GetGrain<ITokenIssuerGrain>(kind).GetVerificationKeys();
            var current = Volatile.Read(ref _keys);
            var keys = new Dictionary<string, RSA>(StringComparer.Ordinal);
            foreach (var key in fetched)
            {
                if (current.TryGetValue(key.KeyId, out var known))
                {
                    keys[key.KeyId] = known;
                    continue;
                }
                var rsa = RSA.Create();
                rsa.ImportFromPem(key.PublicKeyPem);
                keys[key.KeyId] = rsa;
            }
            // Keys dropped here are not disposed: a verification on another thread may still hold one.
            Volatile.Write(ref _keys, keys.ToFrozenDictionary(StringComparer.Ordinal));
            _nextRefresh = clock.GetUtcNow() + RefreshInterval;
        }
        catch (Exception e) when (background && e is not OutOfMemoryException)
        {
            // the last known set stays; the next token after the retry interval tries again
        }
        finally
        {
            _refresh.Release();
        }
    }

    public void Dispose() => _refresh.Dispose();
}
