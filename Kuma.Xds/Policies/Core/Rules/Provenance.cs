namespace Kuma.Policies.Rules;

/// <summary>Which part of which policy contributed to a merged result (for inspect endpoints).</summary>
/// <param name="Section"><c>default</c>, <c>to</c>, <c>from</c> or <c>rules</c>.</param>
/// <param name="Index">Position of the entry in that section (0 for <c>default</c>).</param>
public sealed record PolicyOrigin(string Policy, string Section, int Index);
