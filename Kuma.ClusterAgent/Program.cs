using Kuma.ClusterAgent.Hosting;

// The cluster agent: registers this cluster's Pods as Dataplanes and applies its policy resources through the hosted
// API; serves the admission webhook and health endpoints on one port.
AgentOptions options;
try
{
    options = AgentOptions.From(Environment.GetEnvironmentVariable);
}
catch (AgentOptionsException e)
{
    foreach (var problem in e.Problems) Console.Error.WriteLine($"kuma-cluster-agent: {problem}");
    return 2;
}

var app = AgentHost.Build(args, options, k8s.KubernetesClientConfiguration.InClusterConfig());
await app.RunAsync();
return 0;
