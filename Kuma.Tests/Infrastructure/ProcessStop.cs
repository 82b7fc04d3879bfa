using System.Diagnostics;

namespace Kuma.Tests.Infrastructure;

/// <summary>Ends a helper process the tests drive over stdin: closing stdin asks it to leave; past the grace it is killed.</summary>
internal static class ProcessStop
{
    public static async ValueTask CloseInputAndStopAsync(Process process, TimeSpan grace)
    {
        try
        {
            process.StandardInput.Close();
            using var cts = new CancellationTokenSource(grace);
            await process.WaitForExitAsync(cts.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException)
        {
            process.Kill(entireProcessTree: true);
        }
        process.Dispose();
    }
}
