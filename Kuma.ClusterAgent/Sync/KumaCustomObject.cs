using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Kuma.ClusterAgent.Sync;

/// <summary>A kuma.io/v1alpha1 custom resource: a policy written as a Kubernetes object, spec kept as JSON.</summary>
internal sealed class KumaCustomObject : IKubernetesObject<V1ObjectMeta>
{
    public const string Group = "kuma.io";
    public const string Version = "v1alpha1";

    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = $"{Group}/{Version}";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public JsonNode? Spec { get; set; }
    [JsonPropertyName("status")] public JsonNode? Status { get; set; }
}

/// <summary>A policy type as a CRD names it: kind = the descriptor's name, plural = its plural.</summary>
internal sealed record PolicyKind(string Kind, string Plural);
