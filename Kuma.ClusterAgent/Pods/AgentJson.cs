using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kuma.ClusterAgent.Pods;

/// <summary>How the agent writes resources for the API: camelCase, absent fields left out.</summary>
internal static class AgentJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
