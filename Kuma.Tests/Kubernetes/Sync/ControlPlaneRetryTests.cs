using System.Net;
using System.Text;
using Kuma.ClusterAgent.Sync;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kuma.Tests.Kubernetes.Sync;

/// <summary>A control plane briefly unavailable (503) is asked again; one that stays so is reported, not retried forever.</summary>
public sealed class ControlPlaneRetryTests
{
    private const string Unavailable = """{"type":"/std-errors","status":503,"title":"Service Unavailable","detail":"the store is not reachable"}""";

    private sealed class Scripted(int unavailableAnswers) : HttpMessageHandler
    {
        public int Requests { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests++;
            return Task.FromResult(Requests <= unavailableAnswers
                ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent(Unavailable, Encoding.UTF8, "application/json") }
                : new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("header.payload.signature") });
        }
    }

    private static ControlPlaneClient ClientOver(HttpMessageHandler handler) =>
        new(new HttpClient(handler) { BaseAddress = new Uri("http://cp.invalid") }, TimeProvider.System, NullLogger<ControlPlaneClient>.Instance);

    [Fact]
    public async Task Two_unavailable_answers_are_retried_through()
    {
        var handler = new Scripted(unavailableAnswers: 2);
        Assert.Equal("header.payload.signature", await ClientOver(handler).IssueDataplaneTokenAsync("default", TimeSpan.FromHours(1), CancellationToken.None));
        Assert.Equal(3, handler.Requests);
    }

    [Fact]
    public async Task A_control_plane_that_stays_unavailable_is_reported_after_five_attempts()
    {
        var handler = new Scripted(unavailableAnswers: int.MaxValue);
        var error = await Assert.ThrowsAsync<ControlPlaneApiException>(() => ClientOver(handler).IssueDataplaneTokenAsync("default", TimeSpan.FromHours(1), CancellationToken.None));
        Assert.Equal((503, "Service Unavailable", "the store is not reachable", false), (error.Status, error.Title, error.Detail, error.IsClientError));
        Assert.Equal(5, handler.Requests);
    }
}
