using System.Net.Http.Headers;
using Kuma.ClusterAgent.Sync;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Kubernetes.Infrastructure;
using Kuma.Policies;
using Microsoft.Extensions.Logging.Abstractions;
using AgentLoops = Kuma.ClusterAgent.Sync.ClusterAgent;

namespace Kuma.Tests.Kubernetes.Sync;

/// <summary>One cluster agent against a fake Kubernetes API and a real in-process control plane, counting its writes.</summary>
internal sealed class AgentHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;
    private readonly WriteCounter _counter;

    private AgentHarness(AgentLoops agent, WriteCounter counter)
    {
        Agent = agent;
        _counter = counter;
        _running = agent.RunAsync(_stop.Token);
    }

    internal AgentLoops Agent { get; }

    /// <summary>PUT, POST and DELETE requests the agent sent to the control plane, as "METHOD path".</summary>
    public IReadOnlyList<string> Writes => _counter.Writes;

    public static readonly IReadOnlyList<PolicyKind> AllPolicyKinds =
        [.. PolicyTypes.All.Select(p => new PolicyKind(p.Descriptor.Name, p.Descriptor.Plural))];

    /// <summary>The policy kinds as the fake API server serves them (kuma.io/v1alpha1, namespaced).</summary>
    public static readonly IReadOnlyList<KubeResourceType> PolicyResourceTypes =
        [.. AllPolicyKinds.Select(k => new KubeResourceType("kuma.io/v1alpha1", k.Plural, k.Kind, Namespaced: true))];

    public static AgentHarness Start(ControlPlane cp, FakeKubernetesApi kube, string token, string zone)
    {
        var counter = new WriteCounter { InnerHandler = new SocketsHttpHandler() };
        var http = new HttpClient(counter) { BaseAddress = new Uri($"http://127.0.0.1:{cp.ApiPort}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var api = new ControlPlaneClient(http, TimeProvider.System, NullLogger<ControlPlaneClient>.Instance);
        var kubernetes = new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = kube.BaseUri.ToString() });
        var agent = new AgentLoops(kubernetes, api, zone, AllPolicyKinds, TimeProvider.System, NullLoggerFactory.Instance);
        return new AgentHarness(agent, counter);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _running;
        }
        catch (OperationCanceledException)
        {
            // stopped as asked
        }
        _stop.Dispose();
    }

    private sealed class WriteCounter : DelegatingHandler
    {
        private readonly List<string> _writes = [];

        public IReadOnlyList<string> Writes
        {
            get { lock (_writes) return [.. _writes]; }
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method != HttpMethod.Get)
            {
                lock (_writes) _writes.Add($"{request.Method} {request.RequestUri!.AbsolutePath}");
            }
            return base.SendAsync(request, cancellationToken);
        }
    }
}
