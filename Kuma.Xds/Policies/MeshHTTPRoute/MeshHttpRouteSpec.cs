using System.Text.Json.Nodes;

namespace Kuma.Policies.MeshHttpRoute;

/// <summary>MeshHTTPRoute's spec: its <c>to</c> entries carry routing rules instead of a <c>default</c> block.</summary>
public sealed class MeshHttpRouteSpec
{
    public TargetRef? TargetRef { get; set; }
    public List<MeshHttpRouteTo>? To { get; set; }
}

public sealed class MeshHttpRouteTo
{
    /// <summary>Only routes attached to a MeshGateway may narrow themselves to hostnames.</summary>
    public List<string>? Hostnames { get; set; }
    public TargetRef? TargetRef { get; set; }
    public List<HttpRouteRule>? Rules { get; set; }
}

public sealed class HttpRouteRule
{
    public List<HttpRouteMatch>? Matches { get; set; }
    public HttpRouteConf? Default { get; set; }
}

public sealed class HttpRouteMatch
{
    public HttpPathMatch? Path { get; set; }
    public string? Method { get; set; }
    public List<HttpQueryParamMatch>? QueryParams { get; set; }
    public List<HttpHeaderMatch>? Headers { get; set; }
}

public sealed class HttpPathMatch
{
    /// <summary>Exact, PathPrefix or RegularExpression.</summary>
    public string? Type { get; set; }
    public string? Value { get; set; }
}

public sealed class HttpQueryParamMatch
{
    /// <summary>Exact or RegularExpression.</summary>
    public string? Type { get; set; }
    public string? Name { get; set; }
    public string? Value { get; set; }
}

public sealed class HttpHeaderMatch
{
    /// <summary>Exact (when unset), Present, RegularExpression, Absent or Prefix.</summary>
    public string? Type { get; set; }
    public string? Name { get; set; }
    public string? Value { get; set; }
}

/// <summary>The <c>default</c> block of a rule: what happens to the requests it matches.</summary>
public sealed class HttpRouteConf
{
    public List<HttpRouteFilter>? Filters { get; set; }
    public List<BackendRef>? BackendRefs { get; set; }
}

public sealed class HttpRouteFilter
{
    public string? Type { get; set; }
    public HttpHeaderModifier? RequestHeaderModifier { get; set; }
    public HttpHeaderModifier? ResponseHeaderModifier { get; set; }
    public HttpRequestRedirect? RequestRedirect { get; set; }
    public HttpUrlRewrite? UrlRewrite { get; set; }
    public HttpRequestMirror? RequestMirror { get; set; }
}

public sealed class HttpHeaderModifier
{
    public List<HttpHeaderValue>? Set { get; set; }
    public List<HttpHeaderValue>? Add { get; set; }
    public List<string>? Remove { get; set; }
}

public sealed class HttpHeaderValue
{
    public string? Name { get; set; }
    public string? Value { get; set; }
}

public sealed class HttpRequestRedirect
{
    /// <summary>http or https.</summary>
    public string? Scheme { get; set; }
    public string? Hostname { get; set; }
    public HttpPathRewrite? Path { get; set; }
    public int? Port { get; set; }
    /// <summary>301, 302, 303, 307 or 308; Kuma's default is 302.</summary>
    public int? StatusCode { get; set; }
}

public sealed class HttpPathRewrite
{
    /// <summary>ReplaceFullPath or ReplacePrefixMatch.</summary>
    public string? Type { get; set; }
    public string? ReplaceFullPath { get; set; }
    public string? ReplacePrefixMatch { get; set; }
}

public sealed class HttpUrlRewrite
{
    public string? Hostname { get; set; }
    public HttpPathRewrite? Path { get; set; }
    public bool? HostToBackendHostname { get; set; }
}

public sealed class HttpRequestMirror
{
    /// <summary>Integer or decimal string; unset mirrors every request.</summary>
    public JsonNode? Percentage { get; set; }
    public BackendRef? BackendRef { get; set; }
}
