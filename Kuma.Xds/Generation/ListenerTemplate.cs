using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;

namespace Kuma.Xds.Generation;

/// <summary>
/// An outbound listener after every plugin ran, without the caller's <c>x-kuma-tags</c>. Never changed once made:
/// <see cref="Stamp"/> copies it.
/// </summary>
public sealed class ListenerTemplate
{
    private readonly Listener _listener;
    private readonly HttpConnectionManager? _hcm;

    internal ListenerTemplate(Listener listener)
    {
        _listener = listener;
        // Unpacked once here rather than per caller: the connection manager travels packed in an Any.
        _hcm = HcmFilter(listener) is { } filter ? filter.TypedConfig.Unpack<HttpConnectionManager>() : null;
    }

    /// <summary>
    /// The caller's listener: the route configuration's first header to add is <c>x-kuma-tags</c> with the
    /// caller's value, as if the header had been there before plugins ran (they edit routes, not that list).
    /// </summary>
    public Listener Stamp(string tagsHeader)
    {
        var listener = _listener.Clone();
        if (_hcm is null) return listener;
        var hcm = _hcm.Clone();
        hcm.RouteConfig?.RequestHeadersToAdd.Insert(0, new HeaderValueOption
        {
            Header = new HeaderValue { Key = KumaTagsHeader.Name, Value = tagsHeader },
        });
        HcmFilter(listener)!.TypedConfig = Any.Pack(hcm);
        return listener;
    }

    private static Filter? HcmFilter(Listener listener) =>
        listener.FilterChains.SelectMany(c => c.Filters).FirstOrDefault(f => f.Name == EnvoyBuild.HttpConnectionManagerFilter);
}
