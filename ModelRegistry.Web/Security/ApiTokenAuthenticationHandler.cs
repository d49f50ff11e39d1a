using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;

namespace ModelRegistry.Web.Security;

/// <summary>Authenticates <c>Authorization: Bearer mr_…</c> against the stored token hashes; acts with the owner's current roles.</summary>
internal sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenService tokens,
    IDbContextFactory<RegistryDbContext> dbFactory,
    AccessGuard guard)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var userId = await tokens.AuthenticateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (userId is null)
        {
            return AuthenticateResult.Fail("The token is unknown, revoked or expired.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(Context.RequestAborted);
        var roles = await guard.CurrentRolesAsync(db, userId, Context.RequestAborted);
        var user = await db.Users.AsNoTracking().Where(u => u.Id == userId)
            .Select(u => new { u.Email, u.DisplayName }).SingleOrDefaultAsync(Context.RequestAborted);
        if (roles is null || user is null)
        {
            return AuthenticateResult.Fail("The token's account is locked or gone.");
        }

        var identity = new ClaimsIdentity(SchemeName, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, userId));
        identity.AddClaim(new Claim(ClaimTypes.Name, user.Email ?? userId));
        identity.AddClaim(new Claim("display_name", string.IsNullOrWhiteSpace(user.DisplayName) ? user.Email ?? userId : user.DisplayName));
        identity.AddClaim(new Claim(ActorClaims.RolesFreshClaim, "1"));
        identity.AddClaims(roles.Select(r => new Claim(ClaimTypes.Role, r)));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        // The Hub's wording: huggingface_hub reports a bad token as such on it, and any other 401 as "repository not found".
        Response.Headers["X-Error-Message"] = "Invalid credentials in Authorization header";
        return base.HandleChallengeAsync(properties);
    }
}
