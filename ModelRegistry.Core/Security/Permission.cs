namespace ModelRegistry.Core.Security;

/// <summary>What an actor may do. The roles matrix of docs/design.md ("Roles") lives in <see cref="Permissions"/>.</summary>
public enum Permission
{
    Browse,
    EditModels,
    RequestTransition,
    DecideTransition,
    RecordDeployment,
    ReadAudit,
    Administer,
}

/// <summary>The roles matrix: which roles grant which permission.</summary>
public static class Permissions
{
    private static readonly Dictionary<Permission, string[]> Matrix = new()
    {
        [Permission.Browse] = [Roles.Viewer, Roles.DataScientist, Roles.Reviewer, Roles.Auditor, Roles.Admin],
        [Permission.EditModels] = [Roles.DataScientist, Roles.Admin],
        [Permission.RequestTransition] = [Roles.DataScientist, Roles.Admin],
        [Permission.DecideTransition] = [Roles.Reviewer, Roles.Admin],
        [Permission.RecordDeployment] = [Roles.DataScientist, Roles.Admin],
        [Permission.ReadAudit] = [Roles.Auditor, Roles.Admin],
        [Permission.Administer] = [Roles.Admin],
    };

    /// <summary>The roles that grant <paramref name="permission"/>.</summary>
    public static IReadOnlyList<string> RolesFor(Permission permission) => Matrix[permission];

    /// <summary>Whether any of <paramref name="roles"/> grants <paramref name="permission"/> (Viewer is implied).</summary>
    public static bool Grants(IEnumerable<string> roles, Permission permission)
    {
        var granting = Matrix[permission];
        return granting.Contains(Roles.Viewer) || roles.Any(r => granting.Contains(r, StringComparer.Ordinal));
    }
}

/// <summary>Authorization policy names used by the dashboard and the API; each is one <see cref="Permission"/>.</summary>
public static class Policies
{
    public const string CanEditModels = nameof(CanEditModels);
    public const string CanRequestTransition = nameof(CanRequestTransition);
    public const string CanDecideTransition = nameof(CanDecideTransition);
    public const string CanRecordDeployment = nameof(CanRecordDeployment);
    public const string CanReadAudit = nameof(CanReadAudit);
    public const string CanAdminister = nameof(CanAdminister);

    public static readonly IReadOnlyDictionary<string, Permission> All = new Dictionary<string, Permission>
    {
        [CanEditModels] = Permission.EditModels,
        [CanRequestTransition] = Permission.RequestTransition,
        [CanDecideTransition] = Permission.DecideTransition,
        [CanRecordDeployment] = Permission.RecordDeployment,
        [CanReadAudit] = Permission.ReadAudit,
        [CanAdminister] = Permission.Administer,
    };
}
