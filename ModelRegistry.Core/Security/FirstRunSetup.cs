using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Security;

/// <summary>
/// The one-time first-run setup: while the registry has no users, a random token printed at start-up
/// lets one person create the first Admin. Once any user exists the setup is closed for good. With password sign-in
/// off (<c>Registry:Auth:LocalLogin: false</c>) it never opens: a password Admin could not sign in, so the first Admins
/// come from the directory (<c>Registry:Auth:Oidc:RoleGroups:Admin</c>, docs/sso.md).
/// </summary>
public sealed class FirstRunSetup(IDbContextFactory<RegistryDbContext> dbFactory, UserAdminService users,
    Microsoft.Extensions.Options.IOptions<RegistryOptions> options)
{
    private readonly Lock _lock = new();
    private string? _token;

    /// <summary>Password sign-in is off, so setup never opens.</summary>
    public bool SingleSignOnOnly => !options.Value.Auth.LocalLogin;

    /// <summary>Whether the registry still has no users (and password sign-in is on).</summary>
    public async Task<bool> IsOpenAsync(CancellationToken ct = default)
    {
        if (SingleSignOnOnly)
        {
            return false;
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return !await db.Users.AnyAsync(ct);
    }

    /// <summary>Makes (or returns) the one-time token for this process.</summary>
    public string IssueToken()
    {
        lock (_lock)
        {
            return _token ??= Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        }
    }

    public bool IsValidToken(string? presented)
    {
        string? token;
        lock (_lock)
        {
            token = _token;
        }

        return token is not null && presented is not null
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(presented));
    }

    /// <summary>Creates the first Admin; refused when the token is wrong or any user exists already.</summary>
    public async Task<UserInfo> CreateFirstAdminAsync(string? token, string email, string password, string? displayName,
        CancellationToken ct = default)
    {
        if (!IsValidToken(token))
        {
            throw new ForbiddenException("The setup link is not valid. Use the link printed when the server started.");
        }

        if (!await IsOpenAsync(ct))
        {
            throw new ConflictException("The registry is already set up.");
        }

        var admin = await users.CreateAsync(Actor.Setup, email, password, displayName, [Roles.Admin], ct);
        lock (_lock)
        {
            _token = null; // One time only.
        }

        return admin;
    }
}
