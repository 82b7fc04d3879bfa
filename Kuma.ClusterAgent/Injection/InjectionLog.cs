namespace Kuma.ClusterAgent.Injection;

internal static partial class InjectionLog
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "Injected {Kind} into pod {Namespace}/{Pod} of mesh {Mesh}")]
    public static partial void Injected(ILogger logger, string kind, string @namespace, string pod, string mesh);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pod {Namespace}/{Pod} left alone: {Reason}")]
    public static partial void Skipped(ILogger logger, string @namespace, string pod, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused pod {Namespace}/{Pod}: {Reason}")]
    public static partial void Refused(ILogger logger, string @namespace, string pod, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Rejected an admission review: {Reason}")]
    public static partial void BadReview(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not inject pod {Namespace}/{Pod}: {Reason}")]
    public static partial void Failed(ILogger logger, string @namespace, string pod, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created dataplane token Secret {Namespace}/{Name}")]
    public static partial void TokenSecretCreated(ILogger logger, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook serves a {Source} certificate for {DnsName}")]
    public static partial void ServingCertificate(ILogger logger, string source, string dnsName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not set the caBundle of MutatingWebhookConfiguration {Name}: {Reason}; retrying")]
    public static partial void CaBundlePatchFailed(ILogger logger, string name, string reason);
}
