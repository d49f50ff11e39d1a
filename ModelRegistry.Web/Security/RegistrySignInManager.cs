using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using ModelRegistry.Core;
using ModelRegistry.Core.Security;

namespace ModelRegistry.Web.Security;

/// <summary>
/// Identity's sign-in manager with <c>Registry:Auth:LocalLogin</c> enforced where every password and passkey sign-in
/// passes, whichever page or form asks: with local login off they fail as a wrong password would (the pages say why).
/// Single sign-on and the one-time password proof that links an account do not go through these methods.
/// </summary>
internal sealed class RegistrySignInManager(
    UserManager<ApplicationUser> userManager,
    IHttpContextAccessor contextAccessor,
    IUserClaimsPrincipalFactory<ApplicationUser> claimsFactory,
    IOptions<IdentityOptions> optionsAccessor,
    ILogger<SignInManager<ApplicationUser>> logger,
    IAuthenticationSchemeProvider schemes,
    IUserConfirmation<ApplicationUser> confirmation,
    IOptions<RegistryOptions> registry)
    : SignInManager<ApplicationUser>(userManager, contextAccessor, claimsFactory, optionsAccessor, logger, schemes, confirmation)
{
    private bool LocalLogin => registry.Value.Auth.LocalLogin;

    public override Task<SignInResult> CheckPasswordSignInAsync(ApplicationUser user, string password, bool lockoutOnFailure) =>
        LocalLogin ? base.CheckPasswordSignInAsync(user, password, lockoutOnFailure) : Task.FromResult(SignInResult.NotAllowed);

    public override Task<SignInResult> PasswordSignInAsync(string userName, string password, bool isPersistent, bool lockoutOnFailure) =>
        LocalLogin ? base.PasswordSignInAsync(userName, password, isPersistent, lockoutOnFailure) : Task.FromResult(SignInResult.NotAllowed);

    public override Task<SignInResult> PasskeySignInAsync(string credentialJson) =>
        LocalLogin ? base.PasskeySignInAsync(credentialJson) : Task.FromResult(SignInResult.NotAllowed);
}
