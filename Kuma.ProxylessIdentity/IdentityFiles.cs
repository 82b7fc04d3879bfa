using System.Runtime.InteropServices;
using System.Text;

namespace Kuma.ProxylessIdentity;

/// <summary>
/// The identity directory. gRPC's <c>file_watcher</c> reads the certificate and the key as two files, so replacing
/// them one after the other could show it a certificate with the other's key. Each version is therefore written whole
/// into a hidden directory of its own, and one symbolic link (<c>..data</c>) is renamed over to it: <c>cert.pem</c>,
/// <c>key.pem</c> and <c>ca.pem</c> are fixed links through it, so a reader sees the old set or the new one.
/// </summary>
internal static partial class IdentityFiles
{
    public const string Certificate = "cert.pem";
    public const string PrivateKey = "key.pem";
    public const string CaBundle = "ca.pem";
    private const string Current = "..data";
    private const string VersionPrefix = "..v-";

    public static void Write(string directory, string version, string certificatePem, string privateKeyPem, string caPem)
    {
        Directory.CreateDirectory(directory);
        var versionName = VersionPrefix + version + "-" + Guid.NewGuid().ToString("N")[..8];
        var versionDir = Path.Combine(directory, versionName);
        Directory.CreateDirectory(versionDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        WriteFile(Path.Combine(versionDir, Certificate), certificatePem, Readable);
        WriteFile(Path.Combine(versionDir, CaBundle), caPem, Readable);
        WriteFile(Path.Combine(versionDir, PrivateKey), privateKeyPem, OwnerOnly);

        var link = Path.Combine(directory, Current);
        var temporaryLink = Path.Combine(directory, Current + ".tmp-" + Guid.NewGuid().ToString("N")[..8]);
        File.CreateSymbolicLink(temporaryLink, versionName);
        Rename(temporaryLink, link);
        foreach (var file in new[] { Certificate, PrivateKey, CaBundle }) EnsureLink(directory, file);
        RemoveOldVersions(directory, versionName);
    }

    /// <summary>Writes <paramref name="path"/> as a whole: a reader finds the old content or the new one (temporary file, then rename).</summary>
    public static void WriteFile(string path, string content, UnixFileMode mode)
    {
        var temporary = path + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode };
        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(content));
            stream.Flush(flushToDisk: true);
        }
        Rename(temporary, path);
    }

    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Readable = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary><c>cert.pem</c> and friends point through <c>..data</c>; a plain file left by something else is replaced by the link.</summary>
    private static void EnsureLink(string directory, string file)
    {
        var path = Path.Combine(directory, file);
        var target = Path.Combine(Current, file);
        if (new FileInfo(path) is { LinkTarget: { } existing } && existing == target) return;
        var temporary = path + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        File.CreateSymbolicLink(temporary, target);
        Rename(temporary, path);
    }

    private static void RemoveOldVersions(string directory, string keep)
    {
        foreach (var old in Directory.EnumerateDirectories(directory, VersionPrefix + "*"))
        {
            if (Path.GetFileName(old) == keep) continue;
            try
            {
                Directory.Delete(old, recursive: true);
            }
            catch (IOException)
            {
                // Another reader holding it open on an odd filesystem: it goes with the next version.
            }
        }
    }

    private static void Rename(string from, string to)
    {
        if (RenameNative(from, to) != 0)
            throw new IOException($"cannot rename {from} to {to}: {Marshal.GetLastPInvokeErrorMessage()}");
    }

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameNative(string from, string to);
}
