using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Security.Cryptography;
using Kuma.Grains;

namespace Kuma.Gateway.Auth;

/// <summary>
/// One kind's public keys, fetched from its issuer grain and kept on this node. A key id not seen
/// before triggers at most one fetch per interval for the whole node, whoever sends it, so forged
/// tokens cost one dictionary lookup and cannot make the cluster do work per token.
/// </summary>
public sealed class VerificationKeys(IGrainFactory grains, string kind, TimeProvider clock) : IDisposable
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, RSA> _keys = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private DateTimeOffset _nextRefresh = DateTimeOffset.MinValue;

    public RSA? Find(string keyId) => _keys.GetValueOrDefault(keyId);

    /// <summary>Makes sure <paramref name="keyId"/> is known if the issuer has it, fetching at most once per interval.</summary>
    public async ValueTask EnsureAsync(string keyId)
    {
        if (_keys.ContainsKey(keyId)) return;
        // Unknown ids queue here rather than being turned away while a fetch is under way: ten thousand
        // proxies reconnecting to a fresh node all wait for its first fetch, and are all let in after it.
        await _refresh.WaitAsync();
        try
        {
            if (_keys.ContainsKey(keyId) || clock.GetUtcNow() < _nextRefresh) return;
            // A failed fetch (store or silo down) may be retried soon, but not by every request meanwhile.
            _nextRefresh = clock.GetUtcNow() + RetryInterval;
            ImmutableArray<VerificationKey> fetched = await grains.GetGrain<ITokenIssuerGrain>(kind).GetVerificationKeys();
            foreach (var key in fetched)
            {
                if (_keys.ContainsKey(key.KeyId)) continue;
                var rsa = RSA.Create();
                rsa.ImportFromPem(key.PublicKeyPem);
                _keys[key.KeyId] = rsa;
            }
            _nextRefresh = clock.GetUtcNow() + RefreshInterval;
        }
        finally
        {
            _refresh.Release();
        }
    }

    public void Dispose() => _refresh.Dispose();
}
