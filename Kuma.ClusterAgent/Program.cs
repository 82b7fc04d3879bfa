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

k8s.KubernetesClientConfiguration kubeConfig;
try
{
    // In a Pod: its service account. Elsewhere (trying it out from a workstation): the current context of the
    // kubeconfig kubectl would use ($KUBECONFIG's first file, else ~/.kube/config).
    var kubeconfigFile = Environment.GetEnvironmentVariable("KUBECONFIG")?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
    kubeConfig = k8s.KubernetesClientConfiguration.IsInCluster()
        ? k8s.KubernetesClientConfiguration.InClusterConfig()
        : k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfigFile);
}
catch (k8s.Exceptions.KubeConfigException e)
{
    Console.Error.WriteLine($"kuma-cluster-agent: no Kubernetes API to talk to: {e.Message}");
    return 2;
}

var app = AgentHost.Build(args, options, kubeConfig);
await app.RunAsync();
return 0;
