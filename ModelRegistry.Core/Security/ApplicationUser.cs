using Microsoft.AspNetCore.Identity;

namespace ModelRegistry.Core.Security;

/// <summary>A person (or a pipeline's service account) who signs in to the registry.</summary>
public sealed class ApplicationUser : IdentityUser
{
    /// <summary>
    /// The lockout end that marks an account its owner closed. Later than an Admin's lock, so everything that refuses
    /// a locked account (<see cref="AccessGuard"/>, sign-in) refuses a closed one. See docs/decisions/0015-account-deletion.md.
    /// </summary>
    public static readonly DateTimeOffset ClosedLockoutEnd = new(9999, 12, 31, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Shown in the dashboard and the audit trail; falls back to the e-mail address.</summary>
    public string? DisplayName { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public string Label => string.IsNullOrWhiteSpace(DisplayName) ? Email ?? UserName ?? Id : DisplayName;

    /// <summary>Whether the owner closed the account (<see cref="AccountService.CloseAsync"/>); it cannot be reopened.</summary>
    public bool IsClosed => LockoutEnd == ClosedLockoutEnd;

    /// <summary>
    /// Removes what identifies the person beyond the name their records carry: e-mail, phone, password, two-factor
    /// state. The name stays (as the label every audit event and request of theirs already shows); the e-mail address
    /// is free for a new account. Logins, passkeys, tokens and roles live in other tables: the caller removes them.
    /// </summary>
    internal void Close()
    {
        DisplayName = Label;
        UserName = $"closed-{Id}";
        NormalizedUserName = UserName.ToUpperInvariant();
        Email = null;
        NormalizedEmail = null;
        EmailConfirmed = false;
        PhoneNumber = null;
        PhoneNumberConfirmed = false;
        PasswordHash = null;
        TwoFactorEnabled = false;
        AccessFailedCount = 0;
        LockoutEnabled = true;
        LockoutEnd = ClosedLockoutEnd;
        SecurityStamp = Guid.NewGuid().ToString("N"); // ends every session
        ConcurrencyStamp = Guid.NewGuid().ToString();
    }
}
