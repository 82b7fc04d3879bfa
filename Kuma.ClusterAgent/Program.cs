// The cluster agent's host: wired up by the Kubernetes issue's work (pod sync, policy sync, admission webhook).
Console.Error.WriteLine("kuma-cluster-agent: not wired yet");
return 2;
