using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kuma.Tests.Kubernetes.Infrastructure;

/// <summary>
/// An in-process Kubernetes API server speaking the real list and watch JSON: lists carry the collection's
/// resourceVersion, watches stream one event per line from a given resourceVersion, announce bookmarks, and answer
/// 410 Gone (an ERROR event carrying a Status "Expired") once the test compacts the history they would need.
/// Status subresources and Secrets can be written; the test adds, changes and deletes everything else.
/// </summary>
public sealed class FakeKubernetesApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly KubeObjectStore _store;

    private readonly KubeApiHandler _handler;

    private FakeKubernetesApi(WebApplication app, KubeObjectStore store, KubeApiHandler handler, Uri baseUri)
    {
        _app = app;
        _handler = handler;
        _store = store;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }
    public KubeObjectStore Store => _store;

    /// <summary>Every request served, as <c>group|resource|name|verb</c> (what an RBAC rule must allow).</summary>
    public IReadOnlyCollection<string> Requests => _handler.Requests;

    public static async Task<FakeKubernetesApi> StartAsync(IEnumerable<KubeResourceType>? customTypes = null)
    {
        var store = new KubeObjectStore([
            KubeResourceType.Namespaces, KubeResourceType.Pods, KubeResourceType.Services, KubeResourceType.Secrets,
            KubeResourceType.CustomResourceDefinitions, .. customTypes ?? []]);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var handler = new KubeApiHandler(store);
        app.Run(handler.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FakeKubernetesApi(app, store, handler, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        _store.CloseAllWatches();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
