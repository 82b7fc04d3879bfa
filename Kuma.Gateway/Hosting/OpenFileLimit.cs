using System.Runtime.InteropServices;

namespace Kuma.Gateway.Hosting;

/// <summary>
/// Every proxy holds a connection, and every connection a file descriptor; a reconnect storm briefly
/// holds the old and the new ones. The soft limit a shell hands out (often 1,024) is far too low, so
/// hosts raise it to the hard limit at start, as Go programs such as Kuma do by default.
/// </summary>
public static partial class OpenFileLimit
{
    private const int NoFile = 7; // RLIMIT_NOFILE on Linux

    /// <summary>
    /// Raises the soft limit to the hard one, or to <paramref name="atLeast"/> (hard limit included) when
    /// the process may raise its hard limit. Returns the soft limit in force, or null where there is none.
    /// </summary>
    public static ulong? Raise(ulong atLeast = 0)
    {
        if (!OperatingSystem.IsLinux()) return null;
        if (getrlimit(NoFile, out var limit) != 0) return null;
        if (atLeast > limit.Max && setrlimit(NoFile, new RLimit(atLeast, atLeast)) == 0) return atLeast;
        if (limit.Current < limit.Max) setrlimit(NoFile, limit with { Current = limit.Max });
        return getrlimit(NoFile, out limit) == 0 ? limit.Current : null;
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct RLimit(ulong Current, ulong Max);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrlimit(int resource, out RLimit limit);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setrlimit(int resource, in RLimit limit);
}
