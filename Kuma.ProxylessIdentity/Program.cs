using System.Runtime.InteropServices;
using System.Runtime.Versioning;

// It swaps files with rename(2) and sets Unix file modes: a tool for the Unix hosts gRPC workloads run on.
[assembly: UnsupportedOSPlatform("windows")]

namespace Kuma.ProxylessIdentity;

internal static class Program
{
    private const int Stopped = 0;
    private const int OnceFailed = 1;
    private const int BadArguments = 2;

    public static async Task<int> Main(string[] args)
    {
        if (args is ["--help"] or ["-h"])
        {
            Console.Out.WriteLine(HelperOptions.Usage);
            return Stopped;
        }
        var (options, errors) = HelperOptions.Parse(args);
        if (options is null)
        {
            foreach (var error in errors) Console.Error.WriteLine($"kuma-proxyless-identity: {error}");
            Console.Error.WriteLine(HelperOptions.Usage);
            return BadArguments;
        }

        using var client = new IdentityClient(options);
        var loop = new RenewalLoop(options, client, Console.Error);
        if (options.Once) return await loop.PollAsync(CancellationToken.None) ? Stopped : OnceFailed;

        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        await loop.RunAsync(stop.Token);
        return Stopped;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }
}
