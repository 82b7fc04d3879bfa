using Kuma.Gateway.Auth;
using Kuma.Gateway.Dp;
using Kuma.Grains;
using Kuma.Policies;

namespace Kuma.Gateway.Api;

/// <summary><c>/config</c>, <c>/who-am-i</c> and <c>/policies</c>: what Kuma's GUI and kumactl read about the control plane itself.</summary>
public sealed class MetadataEndpoints(ApiOptions api, DpServerOptions dp, string storeType)
{
    /// <summary>
    /// The settings Kuma's GUI reads, under Kuma's keys (<c>environment</c>, <c>mode</c>, <c>store.type</c>,
    /// <c>dpServer.authn.dpProxy.type</c>, the API server's listeners). Nothing secret is among them.
    /// </summary>
    public Task WriteConfigAsync(HttpContext context) =>
        JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("apiServer");
            w.WriteStartObject("authn");
            w.WriteBoolean("localhostIsAdmin", api.LocalhostIsAdmin);
            w.WriteString("type", "tokens");
            w.WriteEndObject();
            w.WriteStartObject("http");
            w.WriteBoolean("enabled", true);
            w.WriteString("interface", api.Interface);
            w.WriteNumber("port", api.Port);
            w.WriteEndObject();
            w.WriteStartObject("https");
            w.WriteBoolean("enabled", api.HttpsEnabled);
            w.WriteString("interface", api.HttpsInterface);
            w.WriteNumber("port", api.HttpsPort);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("dpServer");
            w.WriteStartObject("authn");
            w.WriteStartObject("dpProxy");
            w.WriteString("type", "dpToken");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteNumber("port", dp.Port);
            w.WriteEndObject();
            w.WriteString("environment", "universal");
            w.WriteString("mode", "zone");
            w.WriteStartObject("store");
            w.WriteString("type", storeType);
            w.WriteEndObject();
            w.WriteEndObject();
        });

    public static Task WriteWhoAmIAsync(HttpContext context, Caller caller) =>
        JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("name", caller.Name);
            w.WriteStartArray("groups");
            foreach (var group in caller.GroupList) w.WriteStringValue(group);
            // Kuma's localhost admin is authenticated too; tokens carry the group already.
            if (!caller.IsAnonymous && !caller.GroupList.Contains(TenantAccess.AuthenticatedGroup)) w.WriteStringValue(TenantAccess.AuthenticatedGroup);
            w.WriteEndArray();
            w.WriteEndObject();
        });

    /// <summary>Every policy type here is a targetRef policy; inbound means it has <c>from</c>, outbound <c>to</c>, as Kuma reports them.</summary>
    public static Task WritePoliciesAsync(HttpContext context) =>
        JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("policies");
            foreach (var d in PolicyTypes.Catalog.All.Where(d => d is { IsPolicy: true, SystemOnly: false }).OrderBy(d => d.Name, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("name", d.Name);
                w.WriteBoolean("readOnly", false);
                w.WriteString("path", d.Plural);
                w.WriteString("singularDisplayName", d.SingularDisplayName);
                w.WriteString("pluralDisplayName", d.PluralDisplayName);
                w.WriteBoolean("isExperimental", false);
                w.WriteBoolean("isTargetRefBased", true);
                w.WriteBoolean("isInbound", d.Policy!.HasFrom);
                w.WriteBoolean("isOutbound", d.Policy.HasTo);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
}
