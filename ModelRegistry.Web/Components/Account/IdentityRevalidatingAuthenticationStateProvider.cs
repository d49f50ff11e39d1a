using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;

namespace ModelRegistry.Web.Components.Account;

/// <summary>
/// Keeps an open dashboard circuit in step with the database: every <see cref="RevalidationInterval"/> it
/// re-reads the user's roles and swaps them into the circuit's principal (so menus and buttons follow a
/// role change without a reload), and signs the circuit out when the account is locked, deleted or its
/// security stamp changed (password reset, lock). Core re-checks roles on every action regardless.
/// </summary>
internal sealed class IdentityRevalidatingAuthenticationStateProvider(
        ILoggerFactory loggerFactory,
        IServiceScopeFactory scopeFactory,
        IOptions<IdentityOptions> options)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromSeconds(20);

    protected override async Task<bool> ValidateAuthenticationStateAsync(
        AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var userManager = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var principal = authenticationState.User;
        var user = await userManager.GetUserAsync(principal);
        if (user is null || await userManager.IsLockedOutAsync(user))
        {
            return false;
        }

        var principalStamp = principal.FindFirstValue(options.Value.ClaimsIdentity.SecurityStampClaimType);
        if (userManager.SupportsUserSecurityStamp && principalStamp != await userManager.GetSecurityStampAsync(user))
        {
            return false;
        }

        var guard = scope.ServiceProvider.GetRequiredService<AccessGuard>();
        var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
        var roles = await guard.CurrentRolesAsync(db, user.Id, cancellationToken);
        var held = principal.FindAll(ClaimTypes.Role).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        if (roles is not null && !held.SetEquals(roles))
        {
            var identity = new ClaimsIdentity(principal.Claims.Where(c => c.Type != ClaimTypes.Role),
                principal.Identity?.AuthenticationType, ClaimTypes.Name, ClaimTypes.Role);
            identity.AddClaims(roles.Select(r => new Claim(ClaimTypes.Role, r)));
            SetAuthenticationState(Task.FromResult(new AuthenticationState(new ClaimsPrincipal(identity))));
        }

        return true;
    }
}
