using Kuma.Policies;
using System.Reflection;
using Kuma.Resources;

namespace Kuma.Gateway.Api;

/// <summary><c>GET /</c> and <c>GET /_resources</c>: what kumactl asks first, answered without authentication.</summary>
public sealed class IndexEndpoints(ApiOptions options)
{
    /// <summary>The Kuma release whose API this control plane speaks.</summary>
    public const string BasedOnKuma = "2.14.3";

    private static readonly string Version =
        typeof(IndexEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private readonly string _instanceId = $"{Environment.MachineName}-{Random.Shared.Next(0x10000):x4}";

    public Task WriteIndexAsync(HttpContext context) =>
        JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("basedOnKuma", BasedOnKuma);
            w.WriteString("clusterId", options.ClusterId);
            w.WriteString("gui", "");
            w.WriteString("hostname", Environment.MachineName);
            w.WriteString("instanceId", _instanceId);
            w.WriteString("product", "Kuma");
            w.WriteString("version", Version);
            w.WriteEndObject();
        });

    public static Task WriteResourceTypesAsync(HttpContext context) =>
        JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("resources");
            foreach (var d in PolicyTypes.Catalog.All.Where(d => !d.SystemOnly).OrderBy(d => d.Name, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                // Kuma's zones do not send their Dataplanes to the global control plane.
                w.WriteBoolean("includeInFederation", d != ResourceTypes.Dataplane);
                w.WriteString("name", d.Name);
                w.WriteString("path", d.Plural);
                w.WriteString("pluralDisplayName", d.PluralDisplayName);
                if (d.Policy is { } p)
                {
                    w.WriteStartObject("policy");
                    w.WriteBoolean("hasFromTargetRef", p.HasFrom);
                    w.WriteBoolean("hasRulesTargetRef", p.HasRules);
                    w.WriteBoolean("hasToTargetRef", p.HasTo);
                    w.WriteBoolean("isFromAsRules", p is { HasFrom: true, HasRules: true, HasTo: true });
                    w.WriteBoolean("isTargetRef", true);
                    w.WriteEndObject();
                }
                w.WriteBoolean("readOnly", false);
                w.WriteString("scope", d.Scope.ToString());
                w.WriteString("shortName", d.ShortName ?? "");
                w.WriteString("singularDisplayName", d.SingularDisplayName);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
}
