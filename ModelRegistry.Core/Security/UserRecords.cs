namespace ModelRegistry.Core.Security;

/// <summary>
/// A user as the administration page shows it. A closed account has no e-mail and is locked for good.
/// <see cref="DirectoryManaged"/>: signs in through single sign-on while roles follow the directory's groups.
/// </summary>
public sealed record UserInfo(
    string Id,
    string Email,
    string DisplayName,
    IReadOnlyList<string> Roles,
    bool IsLocked,
    int AccessFailedCount,
    DateTimeOffset CreatedAt,
    bool IsClosed = false,
    bool DirectoryManaged = false);

/// <summary>An API token as its owner (or an Admin) sees it: never the secret.</summary>
public sealed record TokenInfo(
    long Id,
    string Name,
    string Prefix,
    string OwnerEmail,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt,
    bool IsActive);

/// <summary>A token just made: <see cref="Token"/> is shown once and never stored.</summary>
public sealed record CreatedToken(string Token, TokenInfo Info);
