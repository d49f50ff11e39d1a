namespace ModelRegistry.Core.Security;

/// <summary>
/// A bearer token for the REST API. It acts with its owner's current roles. Only the SHA-256 of
/// the secret is stored; the plain token is shown once when it is made.
/// </summary>
public sealed class ApiToken
{
    private ApiToken() { }

    public ApiToken(string userId, string name, string prefix, string secretHash, DateTimeOffset createdAt, DateTimeOffset? expiresAt)
    {
        UserId = userId;
        Name = name;
        Prefix = prefix;
        SecretHash = secretHash;
        CreatedAt = createdAt;
        ExpiresAt = expiresAt;
    }

    public long Id { get; private set; }
    public string UserId { get; private set; } = "";
    public ApplicationUser? User { get; private set; }
    public string Name { get; private set; } = "";

    /// <summary>The first characters of the token, shown in the UI so a user can tell tokens apart.</summary>
    public string Prefix { get; private set; } = "";

    /// <summary>Lowercase hex SHA-256 of the whole token.</summary>
    public string SecretHash { get; private set; } = "";

    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? ExpiresAt { get; private set; }
    public DateTimeOffset? LastUsedAt { get; private set; }
    public DateTimeOffset? RevokedAt { get; private set; }

    public bool IsActive(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);

    public void Revoke(DateTimeOffset now) => RevokedAt ??= now;

    public void MarkUsed(DateTimeOffset now) => LastUsedAt = now;
}
