namespace ModelRegistry.Core.Security;

/// <summary>The ASP.NET Core Identity role names. Every signed-in user is implicitly a <see cref="Viewer"/>.</summary>
public static class Roles
{
    public const string Admin = "Admin";
    public const string DataScientist = "DataScientist";
    public const string Reviewer = "Reviewer";
    public const string Auditor = "Auditor";

    /// <summary>Not stored: the implicit role of every signed-in user.</summary>
    public const string Viewer = "Viewer";

    /// <summary>The roles that can be granted (Viewer is implicit).</summary>
    public static readonly IReadOnlyList<string> Assignable = [Admin, DataScientist, Reviewer, Auditor];

    public static bool IsAssignable(string role) => Assignable.Contains(role, StringComparer.Ordinal);

    /// <summary>Maps a case-insensitive role name onto its canonical spelling, or null when unknown.</summary>
    public static string? Normalize(string? role) =>
        Assignable.FirstOrDefault(r => string.Equals(r, role, StringComparison.OrdinalIgnoreCase));
}
