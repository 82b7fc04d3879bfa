using System.Text.RegularExpressions;
using Kuma.Xds.Generation;

namespace Kuma.Policies.MeshMetric;

/// <summary>
/// What kuma-dp's metrics hijacker is told (Kuma serves it at <c>/meshmetric</c> on the dynamic-config listener):
/// the applications to scrape, the backends, the sidecar's profile and the labels every metric gets. Written in
/// Kuma's JSON shape and field order.
/// </summary>
internal static partial class KumaDpMetricsConfig
{
    /// <summary>An OpenTelemetry backend as kuma-dp pushes to it: through the socket of its Envoy listener.</summary>
    public sealed record OpenTelemetryPush(string Name, string Socket, TimeSpan RefreshInterval);

    public const string WorkloadLabel = "kuma.io/workload";
    public const string ZoneLabel = "kuma.io/zone";

    public static string Json(MeshMetricConf conf, ProxyWideTarget target, bool prometheus, IReadOnlyList<OpenTelemetryPush> pushes)
    {
        var backends = new List<Action<GoJson>>();
        if (prometheus) backends.Add(j => j.Raw("{").Key("type").String(MeshMetricPolicy.PrometheusType).Raw(",").Key("name").Raw("null}"));
        foreach (var push in pushes)
        {
            backends.Add(j => j.Raw("{").Key("type").String(MeshMetricPolicy.OpenTelemetryType).Raw(",").Key("name").String(push.Name)
                .Raw(",").Key("openTelemetry").Raw("{").Key("endpoint").String(push.Socket)
                .Raw(",").Key("refreshInterval").String(GoJson.Duration(push.RefreshInterval)).Raw("}}"));
        }
        var json = new GoJson().Raw("{").Key("observability").Raw("{").Key("metrics").Raw("{")
            .Key("applications").List(conf.Applications, Application)
            .Raw(",").Key("backends").List(backends.Count == 0 ? null : backends, (j, write) => write(j));
        if (conf.Sidecar is { } sidecar) Sidecar(json.Raw(",").Key("sidecar"), sidecar);
        return json.Raw(",").Key("extraLabels").Map(ExtraLabels(target)).Raw("}}}").ToString();
    }

    private static void Application(GoJson json, MetricsApplication app)
    {
        json.Raw("{");
        if (app.Name is { } name) json.Key("name").String(name).Raw(",");
        json.Key("path").String(app.Path ?? MeshMetricPlugin.DefaultPath).Raw(",").Key("port").Number(app.Port ?? 0)
            .Raw(",").Key("address").String(app.Address ?? "").Raw("}");
    }

    private static void Sidecar(GoJson json, MetricsSidecar sidecar)
    {
        json.Raw("{");
        var first = true;
        GoJson Field(string name)
        {
            if (!first) json.Raw(",");
            first = false;
            return json.Key(name);
        }
        if (sidecar.Profiles is { } profiles)
        {
            Field("profiles").Raw("{");
            var firstList = true;
            void Selectors(string name, List<MetricsSelector>? selectors)
            {
                if (selectors is null) return;
                if (!firstList) json.Raw(",");
                firstList = false;
                json.Key(name).List(selectors, (j, s) => j.Raw("{").Key("type").String(s.Type ?? "").Raw(",").Key("match").String(s.Match ?? "").Raw("}"));
            }
            if (profiles.AppendProfiles is { } append)
            {
                firstList = false;
                json.Key("appendProfiles").List(append, (j, p) => j.Raw("{").Key("name").String(p.Name ?? "").Raw("}"));
            }
            Selectors("exclude", profiles.Exclude);
            Selectors("include", profiles.Include);
            json.Raw("}");
        }
        if (sidecar.IncludeUnused is { } includeUnused) Field("includeUnused").Bool(includeUnused);
        json.Raw("}");
    }

    /// <summary>
    /// Kuma's labels (without unified naming): the mesh, the zone, the proxy's role and workload, then every
    /// inbound tag as a Prometheus label (its first value, and all values under the plural name), the
    /// dataplane's name and, when no workload names it, its service.
    /// </summary>
    public static Dictionary<string, string> ExtraLabels(ProxyWideTarget target)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal) { ["mesh"] = target.Mesh };
        if (target.Labels.GetValueOrDefault(ZoneLabel) is { Length: > 0 } zone) labels["zone"] = zone;
        labels["kuma.proxy_role"] = target.Role;
        // A zone proxy alone has no workload beside it.
        if (!target.IsZoneProxyOnly && target.Labels.GetValueOrDefault(WorkloadLabel) is { Length: > 0 } workload) labels["kuma.workload"] = workload;
        var tags = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var inbound in target.Inbounds)
        {
            foreach (var (key, value) in inbound.Values)
            {
                if (!tags.TryGetValue(key, out var values)) tags[key] = values = new SortedSet<string>(StringComparer.Ordinal);
                values.Add(value);
            }
        }
        foreach (var (key, values) in tags)
        {
            labels[LabelName(key)] = values.Min ?? "";
            labels[LabelName(key + "s")] = "," + string.Join(',', values) + ",";
        }
        labels["dataplane"] = target.Dataplane;
        // Kuma's identifying name: the first of the proxy's services in sorted order.
        if (!labels.ContainsKey("kuma.workload") && tags.GetValueOrDefault(ServiceEndpoint.ServiceTag)?.Min is { } service) labels["service"] = service;
        return labels;
    }

    private static string LabelName(string tag) => NotLabelCharacter().Replace(tag, "_");

    [GeneratedRegex("[^a-zA-Z0-9_]")]
    private static partial Regex NotLabelCharacter();
}
