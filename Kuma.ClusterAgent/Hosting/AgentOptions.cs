using System.Globalization;
using Kuma.ClusterAgent.Injection;

namespace Kuma.ClusterAgent.Hosting;

/// <summary>The agent's settings, from environment variables; a missing or bad one is an error naming the variable.</summary>
internal sealed record AgentOptions
{
    public const string ControlPlaneUrlVariable = "KUMA_AGENT_CONTROL_PLANE_URL";
    public const string TokenVariable = "KUMA_AGENT_TOKEN";
    public const string TokenFileVariable = "KUMA_AGENT_TOKEN_FILE";
    public const string ZoneVariable = "KUMA_AGENT_ZONE";
    public const string DpServerUrlVariable = "KUMA_AGENT_DP_SERVER_URL";
    public const string CaFileVariable = "KUMA_AGENT_CA_FILE";
    public const string WebhookPortVariable = "KUMA_AGENT_WEBHOOK_PORT";
    public const string NamespaceVariable = "KUMA_AGENT_NAMESPACE";
    public const string WebhookCertFileVariable = "KUMA_AGENT_WEBHOOK_CERT_FILE";
    public const string WebhookKeyFileVariable = "KUMA_AGENT_WEBHOOK_KEY_FILE";
    public const string SidecarImageVariable = "KUMA_AGENT_SIDECAR_IMAGE";
    public const string InitImageVariable = "KUMA_AGENT_INIT_IMAGE";

    public required Uri ControlPlaneUrl { get; init; }
    public required string Token { get; init; }
    public required string Zone { get; init; }
    public required Uri DpServerUrl { get; init; }
    public string? CaFile { get; init; }
    public int WebhookPort { get; init; } = 5443;
    public string Namespace { get; init; } = "kuma-system";
    /// <summary>The webhook's serving certificate and key (PEM, e.g. from cert-manager); both null: the agent makes its own.</summary>
    public string? WebhookCertFile { get; init; }
    public string? WebhookKeyFile { get; init; }
    public string? SidecarImage { get; init; }
    public string? InitImage { get; init; }

    /// <summary>Reads every variable and reports every problem at once.</summary>
    public static AgentOptions From(Func<string, string?> env)
    {
        var problems = new List<string>();
        var controlPlane = AbsoluteUrl(env, ControlPlaneUrlVariable, problems);
        var dpServer = AbsoluteUrl(env, DpServerUrlVariable, problems);
        var zone = env(ZoneVariable);
        if (string.IsNullOrWhiteSpace(zone)) problems.Add($"{ZoneVariable} must be set (the name of this cluster's zone)");
        else if (Kuma.Validation.Names.CheckDnsLabel(zone) is { } zoneProblem) problems.Add($"{ZoneVariable}: {zoneProblem}");
        var token = ReadToken(env, problems);
        var caFile = env(CaFileVariable) is { Length: > 0 } ca ? ca : null;
        if (caFile is not null && !File.Exists(caFile)) problems.Add($"{CaFileVariable}: file {caFile} does not exist");
        var port = 5443;
        if (env(WebhookPortVariable) is { Length: > 0 } portText
            && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
            problems.Add($"{WebhookPortVariable}: \"{portText}\" is not a port number (1-65535)");
        var certFile = NonEmpty(env(WebhookCertFileVariable));
        var keyFile = NonEmpty(env(WebhookKeyFileVariable));
        if ((certFile is null) != (keyFile is null))
            problems.Add($"{WebhookCertFileVariable} and {WebhookKeyFileVariable} go together: set both or neither");
        foreach (var file in new[] { (WebhookCertFileVariable, certFile), (WebhookKeyFileVariable, keyFile) })
            if (file.Item2 is not null && !File.Exists(file.Item2)) problems.Add($"{file.Item1}: file {file.Item2} does not exist");
        if (problems.Count > 0) throw new AgentOptionsException(problems);
        return new AgentOptions
        {
            ControlPlaneUrl = controlPlane!,
            DpServerUrl = dpServer!,
            Zone = zone!,
            Token = token!,
            CaFile = caFile,
            WebhookPort = port,
            Namespace = env(NamespaceVariable) is { Length: > 0 } ns ? ns : "kuma-system",
            WebhookCertFile = certFile,
            WebhookKeyFile = keyFile,
            SidecarImage = NonEmpty(env(SidecarImageVariable)),
            InitImage = NonEmpty(env(InitImageVariable)),
        };
    }

    /// <summary>What the admission webhook needs of these settings; every other injection setting keeps Kuma's default.</summary>
    public InjectionOptions ToInjection()
    {
        var injection = new InjectionOptions
        {
            DpServerUrl = DpServerUrl,
            Zone = Zone,
            ControlPlaneCaPem = CaFile is null ? null : File.ReadAllText(CaFile),
            WebhookPort = WebhookPort,
            AgentNamespace = Namespace,
            WebhookCertFile = WebhookCertFile,
            WebhookKeyFile = WebhookKeyFile,
        };
        return injection with
        {
            SidecarImage = SidecarImage ?? injection.SidecarImage,
            InitImage = InitImage ?? injection.InitImage,
        };
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static Uri? AbsoluteUrl(Func<string, string?> env, string variable, List<string> problems)
    {
        var text = env(variable);
        if (string.IsNullOrWhiteSpace(text)) problems.Add($"{variable} must be set");
        else if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            problems.Add($"{variable}: \"{text}\" is not an http(s) URL");
        else return url;
        return null;
    }

    private static string? ReadToken(Func<string, string?> env, List<string> problems)
    {
        if (env(TokenVariable) is { Length: > 0 } token) return token.Trim();
        if (env(TokenFileVariable) is { Length: > 0 } file)
        {
            if (!File.Exists(file)) problems.Add($"{TokenFileVariable}: file {file} does not exist");
            else if (File.ReadAllText(file).Trim() is { Length: > 0 } fromFile) return fromFile;
            else problems.Add($"{TokenFileVariable}: file {file} is empty");
            return null;
        }
        problems.Add($"{TokenVariable} or {TokenFileVariable} must be set (a user token of the tenant's admin group)");
        return null;
    }
}

internal sealed class AgentOptionsException(IReadOnlyList<string> problems) : Exception("invalid settings: " + string.Join("; ", problems))
{
    public IReadOnlyList<string> Problems => problems;
}
