namespace ModelRegistry.Core.Teams;

/// <summary>A team as the admin pages and the API show it.</summary>
public sealed record TeamInfo(string Name, string? Group, IReadOnlyList<TeamMemberInfo> Members, int ModelCount, DateTimeOffset CreatedAt);

/// <summary>A member of a team.</summary>
public sealed record TeamMemberInfo(string Email, string DisplayName);

/// <summary>Who the caller is now (<c>GET /api/v1/me</c>): roles and teams read from the database.</summary>
public sealed record MeInfo(string Email, string DisplayName, IReadOnlyList<string> Roles, IReadOnlyList<string> Teams);

/// <summary>What an Admin creates.</summary>
public sealed record CreateTeam(string Name, string? Group = null);

/// <summary>What single sign-on changed in a user's memberships of group-bound teams.</summary>
public sealed record GroupSyncResult(IReadOnlyList<string> Added, IReadOnlyList<string> Removed);
