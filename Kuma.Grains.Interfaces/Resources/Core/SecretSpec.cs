namespace Kuma.Resources.Core;

/// <summary>Secret and GlobalSecret: base64 bytes in <c>data</c>.</summary>
public sealed class SecretSpec
{
    public string? Data { get; set; }
}
