using Kuma.Resources.Core;

namespace Kuma.Gateway.Dp;

/// <summary>Everything one bootstrap is made of; the generator reads nothing else.</summary>
public sealed record BootstrapInputs
{
    public required BootstrapRequest Request { get; init; }
    /// <summary>The proxy's Dataplane: the one kuma-dp brought, or the stored one.</summary>
    public required DataplaneSpec Dataplane { get; init; }
    /// <summary>The Dataplane's mesh (its metrics backend feeds kuma-dp's metrics aggregation).</summary>
    public MeshSpec? Mesh { get; init; }
    public required BootstrapSettings Settings { get; init; }
    /// <summary>The host kuma-dp reached this control plane by (without the port).</summary>
    public required string RequestHost { get; init; }
    /// <summary>The DP server's port.</summary>
    public required uint DpPort { get; init; }
    /// <summary>The PEM Envoy trusts the control plane's certificate with; null when the DP port is plaintext.</summary>
    public string? TrustedCaPem { get; init; }
    /// <summary>The xDS host is a DNS name that resolves to IPv4 addresses only (so Envoy looks up only those).</summary>
    public bool XdsHostIPv4Only { get; init; }
    /// <summary>The CoreDNS template read from <see cref="BootstrapSettings.CorefileTemplatePath"/>, if any.</summary>
    public byte[]? CorefileTemplate { get; init; }

    public string XdsHost => Settings.XdsHost.Length > 0 ? Settings.XdsHost : RequestHost;

    public uint XdsPort => Settings.XdsPort != 0 ? Settings.XdsPort : DpPort;
}
