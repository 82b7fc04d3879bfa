using Kuma.Resources;
using Kuma.Validation;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.MeshHttpRoute;

/// <summary>
/// MeshHTTPRoute: matches HTTP requests to a destination and rewrites, redirects, mirrors or splits them.
/// The rules follow Kuma's validator; enumerations its API schema fixes are checked here too.
/// </summary>
public static class MeshHttpRoutePolicy
{
    public static readonly PolicyShape Shape = new(HasTo: true, HasFrom: false, HasRules: false);

    private static readonly string[] TopKinds = [Mesh, MeshGateway, MeshSubset, MeshService, MeshServiceSubset, Dataplane];
    private static readonly string[] ServiceKinds = [MeshService, MeshExternalService, MeshMultiZoneService];
    private static readonly string[] GatewayToKinds = [Mesh];
    private static readonly string[] BackendKinds = [MeshService, MeshServiceSubset, MeshExternalService, MeshMultiZoneService];
    private static readonly string[] MirrorKinds = [MeshService, MeshServiceSubset];

    public const string RequestHeaderModifier = "RequestHeaderModifier";
    public const string ResponseHeaderModifier = "ResponseHeaderModifier";
    public const string RequestRedirect = "RequestRedirect";
    public const string UrlRewrite = "URLRewrite";
    public const string RequestMirror = "RequestMirror";

    public static readonly string[] FilterTypes = [RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, UrlRewrite, RequestMirror];
    public static readonly string[] PathMatchTypes = ["Exact", "PathPrefix", "RegularExpression"];
    public static readonly string[] Methods = ["CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"];
    public static readonly string[] QueryParamMatchTypes = ["Exact", "RegularExpression"];
    public static readonly string[] HeaderMatchTypes = ["Exact", "Present", "RegularExpression", "Absent", "Prefix"];
    public static readonly string[] PathRewriteTypes = ["ReplaceFullPath", "ReplacePrefixMatch"];
    private static readonly string[] Schemes = ["http", "https"];
    private static readonly int[] RedirectStatusCodes = [301, 302, 303, 307, 308];

    private const string PrefixOnly = "can only appear if all matches match a path prefix";

    public static readonly ResourceDescriptor<MeshHttpRouteSpec> Descriptor = new()
    {
        Name = "MeshHTTPRoute",
        Plural = "meshhttproutes",
        ShortName = "mhttpr",
        Scope = ResourceScope.Mesh,
        Policy = Shape,
        Validate = Validate,
    };

    private static void Validate(MeshHttpRouteSpec spec, FieldPath path, ValidationErrors errors)
    {
        if (spec.TargetRef is { } top)
            PolicyValidation.CheckTargetRef(top, path.Field("targetRef"), TopKinds, errors);
        var onGateway = (spec.TargetRef?.Kind ?? Mesh) == MeshGateway;

        for (var i = 0; i < (spec.To?.Count ?? 0); i++)
        {
            var to = spec.To![i];
            var p = path.Field("to").Index(i);
            // An absent targetRef reads as one without a kind, as Kuma's required field does.
            PolicyValidation.CheckTargetRef(to.TargetRef ?? new TargetRef(), p.Field("targetRef"), onGateway ? GatewayToKinds : ServiceKinds, errors);
            for (var r = 0; r < (to.Rules?.Count ?? 0); r++) CheckRule(to.Rules![r], p.Field("rules").Index(r), onGateway, errors);
            if (!onGateway && to.Hostnames is { Count: > 0 }) errors.Add(p.Field("hostnames"), "must not be defined");
        }
    }

    private static void CheckRule(HttpRouteRule rule, FieldPath path, bool onGateway, ValidationErrors errors)
    {
        var matches = rule.Matches ?? [];
        for (var i = 0; i < matches.Count; i++) CheckMatch(matches[i], path.Field("matches").Index(i), errors);

        var conf = rule.Default ?? new HttpRouteConf();
        var filters = conf.Filters ?? [];
        for (var i = 0; i < filters.Count; i++)
            CheckFilter(filters[i], path.Field("default").Field("filters").Index(i), matches, onGateway, errors);

        var backendsPath = path.Field("default").Field("backendRefs");
        var backends = conf.BackendRefs ?? [];
        // A gateway route must send traffic somewhere unless it only redirects.
        if (backends.Count == 0 && onGateway && !filters.Any(f => f.Type == RequestRedirect))
            errors.Add(backendsPath, "must not be empty");
        for (var i = 0; i < backends.Count; i++) CheckBackendRef(backends[i], backendsPath.Index(i), BackendKinds, errors);
    }

    private static void CheckMatch(HttpRouteMatch match, FieldPath path, ValidationErrors errors)
    {
        if (match.Path is { } pathMatch)
        {
            var p = path.Field("path");
            var value = pathMatch.Value ?? "";
            OneOf(pathMatch.Type, PathMatchTypes, p.Field("type"), errors, required: true);
            if (pathMatch.Type == "PathPrefix" && value != "/")
            {
                // Kuma matches prefixes on whole segments, so a trailing slash would never change the match.
                if (value.EndsWith('/')) errors.Add(p.Field("value"), "does not need a trailing slash because only a `/`-separated prefix or an entire path is matched");
                if (!value.StartsWith('/')) errors.Add(p.Field("value"), "must be an absolute path");
            }
            else if (pathMatch.Type == "Exact" && !value.StartsWith('/'))
            {
                errors.Add(p.Field("value"), "must be an absolute path");
            }
        }
        OneOf(match.Method, Methods, path.Field("method"), errors, required: false);

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (match.QueryParams?.Count ?? 0); i++)
        {
            var param = match.QueryParams![i];
            var p = path.Field("queryParams").Index(i);
            OneOf(param.Type, QueryParamMatchTypes, p.Field("type"), errors, required: true);
            if (!seen.Add(param.Name ?? "")) errors.Add(p.Field("name"), $"multiple entries for name {param.Name}");
        }

        for (var i = 0; i < (match.Headers?.Count ?? 0); i++)
        {
            var header = match.Headers![i];
            var p = path.Field("headers").Index(i);
            OneOf(header.Type, HeaderMatchTypes, p.Field("type"), errors, required: false);
            if (header.Type is "Present" or "Absent" && !string.IsNullOrEmpty(header.Value)) errors.Add(p.Field("value"), "must not be defined");
        }
    }

    private static void CheckFilter(HttpRouteFilter filter, FieldPath path, List<HttpRouteMatch> matches, bool onGateway, ValidationErrors errors)
    {
        OneOf(filter.Type, FilterTypes, path.Field("type"), errors, required: true);
        switch (filter.Type)
        {
            case RequestHeaderModifier:
                CheckHeaderModifier(filter.RequestHeaderModifier, path.Field("requestHeaderModifier"), errors);
                break;
            case ResponseHeaderModifier:
                CheckHeaderModifier(filter.ResponseHeaderModifier, path.Field("responseHeaderModifier"), errors);
                break;
            case RequestRedirect:
                CheckRedirect(filter.RequestRedirect, path.Field("requestRedirect"), matches, errors);
                break;
            case UrlRewrite:
                CheckRewrite(filter.UrlRewrite, path.Field("urlRewrite"), matches, onGateway, errors);
                break;
            case RequestMirror:
                var p = path.Field("requestMirror");
                if (filter.RequestMirror is not { } mirror)
                {
                    errors.Add(p, "must be defined");
                    break;
                }
                CheckBackendRef(mirror.BackendRef ?? new BackendRef(), p.Field("backendRef"), MirrorKinds, errors);
                Percentages.CheckKind(mirror.Percentage, p.Field("percentage"), errors);
                break;
        }
    }

    private static void CheckHeaderModifier(HttpHeaderModifier? modifier, FieldPath path, ValidationErrors errors)
    {
        if (modifier is null)
        {
            errors.Add(path, "must be defined");
            return;
        }
        if (modifier is { Set: null, Add: null, Remove: null })
        {
            errors.Add(path, "must have at least one defined: set, add, remove");
            return;
        }
        // One action per header: a name may appear once across set, add and remove together.
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Claim(string? name, FieldPath at)
        {
            if (!names.Add(name ?? "")) errors.Add(at.Field("name"), "duplicate header name");
        }
        for (var i = 0; i < (modifier.Set?.Count ?? 0); i++) Claim(modifier.Set![i].Name, path.Field("set").Index(i));
        for (var i = 0; i < (modifier.Add?.Count ?? 0); i++) Claim(modifier.Add![i].Name, path.Field("add").Index(i));
        for (var i = 0; i < (modifier.Remove?.Count ?? 0); i++) Claim(modifier.Remove![i], path.Field("remove").Index(i));
    }

    private static void CheckRedirect(HttpRequestRedirect? redirect, FieldPath path, List<HttpRouteMatch> matches, ValidationErrors errors)
    {
        if (redirect is null)
        {
            errors.Add(path, "must be defined");
            return;
        }
        CheckPathRewrite(redirect.Path, path.Field("path"), matches, errors);
        PreciseHostname.Check(redirect.Hostname, path.Field("hostname"), errors);
        OneOf(redirect.Scheme, Schemes, path.Field("scheme"), errors, required: false);
        if (redirect.StatusCode is { } code && !RedirectStatusCodes.Contains(code))
            errors.Add(path.Field("statusCode"), $"should be one of [{string.Join(", ", RedirectStatusCodes)}]");
        if (redirect.Port is < 1 or > 65535) errors.Add(path.Field("port"), "must be in inclusive range [1, 65535]");
    }

    private static void CheckRewrite(HttpUrlRewrite? rewrite, FieldPath path, List<HttpRouteMatch> matches, bool onGateway, ValidationErrors errors)
    {
        if (rewrite is null)
        {
            errors.Add(path, "must be defined");
            return;
        }
        CheckPathRewrite(rewrite.Path, path.Field("path"), matches, errors);
        PreciseHostname.Check(rewrite.Hostname, path.Field("hostname"), errors);
        if (rewrite.HostToBackendHostname == true)
        {
            if (!onGateway) errors.Add(path.Field("hostToBackendHostname"), "can only be set with MeshGateway");
            if (rewrite.Hostname is not null) errors.Add(path.Field("hostToBackendHostname"), "cannot be set together with hostname");
        }
    }

    private static void CheckPathRewrite(HttpPathRewrite? rewrite, FieldPath path, List<HttpRouteMatch> matches, ValidationErrors errors)
    {
        if (rewrite is null) return;
        OneOf(rewrite.Type, PathRewriteTypes, path.Field("type"), errors, required: true);
        // Replacing a prefix needs a prefix to replace; no matches at all stands for the prefix "/".
        if (rewrite.ReplacePrefixMatch is not null && matches.Any(m => m.Path?.Type != "PathPrefix"))
            errors.Add(path.Field("replacePrefixMatch"), PrefixOnly);
    }

    private static void CheckBackendRef(BackendRef backend, FieldPath path, string[] kinds, ValidationErrors errors)
    {
        PolicyValidation.CheckTargetRef(backend.AsTargetRef(), path, kinds, errors);
        if (backend.Kind == MeshMultiZoneService && backend.Port is null)
            errors.Add(path.Field("port"), "must be defined with kind MeshMultiZoneService");
    }

    private static void OneOf(string? value, string[] allowed, FieldPath path, ValidationErrors errors, bool required)
    {
        if (value is null)
        {
            if (required) errors.Add(path, "must be defined");
        }
        else if (!allowed.Contains(value))
        {
            errors.Add(path, $"should be one of [{string.Join(", ", allowed)}]");
        }
    }
}
