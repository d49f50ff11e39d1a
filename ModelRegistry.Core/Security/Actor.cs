namespace ModelRegistry.Core.Security;

/// <summary>
/// Who is acting. Roles carried here are a hint for display only: Core re-reads the user's
/// current roles from the database before every privileged action (see <see cref="AccessGuard"/>).
/// </summary>
/// <param name="UserId">The Identity user id, or a fixed id for the system actors.</param>
/// <param name="DisplayName">Shown in the audit trail.</param>
/// <param name="Roles">The roles known when the actor was built.</param>
/// <param name="IsSystem">The command line or first-run setup acting with the operator's authority.</param>
public sealed record Actor(string UserId, string DisplayName, IReadOnlySet<string> Roles, bool IsSystem = false)
{
    /// <summary>The operator on the server's command line (has shell access to the data directory already).</summary>
    public static Actor CommandLine { get; } = new("system:cli", "command line", new HashSet<string>(), IsSystem: true);

    /// <summary>The one-time first-run setup page or the configured <c>Registry:Admin</c> bootstrap.</summary>
    public static Actor Setup { get; } = new("system:setup", "first-run setup", new HashSet<string>(), IsSystem: true);

    public bool Has(Permission permission) => IsSystem || Permissions.Grants(Roles, permission);
}
