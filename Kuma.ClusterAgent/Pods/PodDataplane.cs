using Kuma.Resources.Core;

namespace Kuma.ClusterAgent.Pods;

/// <summary>The Dataplane a Pod stands for: its name, mesh, the spec our API takes and the labels it carries.</summary>
internal sealed record PodDataplane(string Name, string Mesh, DataplaneSpec Spec, IReadOnlyDictionary<string, string> Labels);
