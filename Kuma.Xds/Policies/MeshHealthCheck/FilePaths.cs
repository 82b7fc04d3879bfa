using System.Text.RegularExpressions;

namespace Kuma.Policies.MeshHealthCheck;

/// <summary>
/// What Kuma accepts as a file path (it uses govalidator's check): an absolute Unix path, or a Windows path
/// with a drive letter.
/// </summary>
internal static partial class FilePaths
{
    public static bool IsValid(string path) => UnixPath().IsMatch(path) || WindowsPath().IsMatch(path);

    [GeneratedRegex(@"^(/[^/\x00]*)+/?\z")]
    private static partial Regex UnixPath();

    [GeneratedRegex(@"^[a-zA-Z]:\\(?:[^\\/:*?""<>|\r\n]+\\)*[^\\/:*?""<>|\r\n]*\z")]
    private static partial Regex WindowsPath();
}
