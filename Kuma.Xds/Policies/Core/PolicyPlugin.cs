using System.Text.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Kuma.Policies.Rules;
using Kuma.Validation;

namespace Kuma.Policies;

/// <summary>An outbound as plugins see it: the destination service and the protocol its cluster and listener speak.</summary>
public sealed record OutboundTarget(string Service, string Protocol);

/// <summary>An inbound as plugins see it: the service it serves (if tagged) and its protocol.</summary>
public sealed record InboundTarget(string? Service, string Protocol, uint Port);

/// <summary>
/// Turns one policy type's merged rules into changes to typed Envoy resources. The pipeline builds each
/// resource with the control plane's defaults, hands it to every plugin in the registry's order, and
/// encodes it once afterwards; a plugin never sees bytes. A plugin reads nothing but its arguments, so
/// the same arguments give the same resource and the pipeline may share the result between proxies.
/// </summary>
public abstract class PolicyPlugin
{
    /// <summary>The cluster of an outbound service; <paramref name="conf"/> is the merged <c>to</c> conf for it, or null.</summary>
    public virtual void OutboundCluster(Cluster cluster, OutboundTarget target, JsonObject? conf) { }

    /// <summary>An outbound listener (HTTP connection manager with its inline routes, or TCP proxy).</summary>
    public virtual void OutboundListener(Listener listener, OutboundTarget target, JsonObject? conf) { }

    /// <summary>An inbound listener; <paramref name="rules"/> are the merged <c>from</c>/<c>rules</c> for that inbound.</summary>
    public virtual void InboundListener(Listener listener, InboundTarget target, InboundRules rules) { }

    /// <summary>The local cluster behind an inbound.</summary>
    public virtual void InboundCluster(Cluster cluster, InboundTarget target, InboundRules rules) { }

    /// <summary>
    /// A proxyless destination has no proxy of its own: what this policy would do at its inbound is done in
    /// the proxyless caller's outbound listener instead. <paramref name="conf"/> is the destination's merged
    /// inbound conf as it applies to this caller.
    /// </summary>
    public virtual void ProxylessDestination(Listener listener, OutboundTarget target, JsonObject? conf) { }
}

/// <summary>A plugin that reads its merged confs as its own typed conf class.</summary>
public abstract class PolicyPlugin<TConf> : PolicyPlugin where TConf : class
{
    public sealed override void OutboundCluster(Cluster cluster, OutboundTarget target, JsonObject? conf) =>
        OutboundCluster(cluster, target, Read(conf));

    public sealed override void OutboundListener(Listener listener, OutboundTarget target, JsonObject? conf) =>
        OutboundListener(listener, target, Read(conf));

    public sealed override void InboundListener(Listener listener, InboundTarget target, InboundRules rules) =>
        InboundListener(listener, target, Read(rules.Conf));

    public sealed override void InboundCluster(Cluster cluster, InboundTarget target, InboundRules rules) =>
        InboundCluster(cluster, target, Read(rules.Conf));

    public sealed override void ProxylessDestination(Listener listener, OutboundTarget target, JsonObject? conf) =>
        ProxylessDestination(listener, target, Read(conf));

    protected virtual void OutboundCluster(Cluster cluster, OutboundTarget target, TConf? conf) { }
    protected virtual void ProxylessDestination(Listener listener, OutboundTarget target, TConf? conf) { }
    protected virtual void OutboundListener(Listener listener, OutboundTarget target, TConf? conf) { }
    protected virtual void InboundListener(Listener listener, InboundTarget target, TConf? conf) { }
    protected virtual void InboundCluster(Cluster cluster, InboundTarget target, TConf? conf) { }

    /// <summary>Merged confs were validated piecewise on the way in; their merge is read the same way.</summary>
    protected static TConf? Read(JsonObject? conf) => conf?.Deserialize<TConf>(SpecBinder.Options);
}
