using System.Text.Json;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Primitives;
using ModelRegistry.Core.Identity;
using ModelRegistry.Core.Security;
using ModelRegistry.Web.Components.Account;
using ModelRegistry.Web.Components.Account.Pages;
using ModelRegistry.Web.Components.Account.Pages.Manage;
using ModelRegistry.Web.Security;

namespace Microsoft.AspNetCore.Routing;

internal static class IdentityComponentsEndpointRouteBuilderExtensions
{
    // These endpoints are required by the Identity Razor components defined in the /Components/Account/Pages directory of this project.
    public static IEndpointConventionBuilder MapAdditionalIdentityEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);

        var accountGroup = endpoints.MapGroup("/Account");

        accountGroup.MapPost("/PerformExternalLogin", async Task<IResult> (
            HttpContext context,
            [FromServices] SignInManager<ApplicationUser> signInManager,
            [FromServices] ILoggerFactory loggers,
            [FromForm] string? provider,
            [FromForm] string? returnUrl) =>
        {
            // A challenge to a scheme that is not registered throws: a stale or crafted form goes back to sign-in instead.
            if (!await IsExternalSchemeAsync(signInManager, provider))
            {
                IdentityRedirectManager.SetStatus(context, "Error: That sign-in provider is not available.");
                return TypedResults.Redirect($"{context.Request.PathBase}/Account/Login");
            }

            IEnumerable<KeyValuePair<string, StringValues>> query = [
                new("ReturnUrl", returnUrl),
                new("Action", ExternalLogin.LoginCallbackAction)];

            var redirectUrl = UriHelper.BuildRelative(
                context.Request.PathBase,
                "/Account/ExternalLogin",
                QueryString.Create(query));

            var properties = signInManager.ConfigureExternalAuthenticationProperties(provider, redirectUrl);
            try
            {
                // Run here rather than as a result: the discovery document and the pushed authorization request are
                // fetched now, and an unreachable provider or a refused client must become a message, not a 500.
                await context.ChallengeAsync(provider, properties);
                return TypedResults.Empty;
            }
            catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException
                                          or Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectProtocolException)
            {
                var logger = loggers.CreateLogger("ModelRegistry.Web.SingleSignOn");
                SingleSignOnLog.ChallengeFailed(logger, e, provider!, e.Message);
                context.Response.Clear();
                IdentityRedirectManager.SetStatus(context, "Error: " + SingleSignOnLog.DescribeChallengeFailure(e) +
                    " Signing in through single sign-on is not possible right now; an administrator can find the reason in the registry's log.");
                return TypedResults.Redirect($"{context.Request.PathBase}/Account/Login");
            }
        }).AllowAnonymous();

        accountGroup.MapPost("/Logout", async Task<IResult> (
            HttpContext context,
            [FromServices] SignInManager<ApplicationUser> signInManager,
            [FromServices] ILoggerFactory loggers,
            [FromForm] string? returnUrl) =>
        {
            // returnUrl is relative to the app's base (the sign-out form sends ""); anything that leaves the app goes home.
            var appBase = new Uri($"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}/");
            var home = IdentityRedirectManager.LocalOrHome(appBase, returnUrl).AbsoluteUri;
            var endSession = await SingleSignOnLog.EndSessionAvailableAsync(context, loggers);
            await signInManager.SignOutAsync();
            if (endSession)
            {
                // Signed in through the provider, which offers end-session: sign out there too, then come back here.
                await context.SignOutAsync(SingleSignOnService.Scheme, new AuthenticationProperties { RedirectUri = home });
                return TypedResults.Empty;
            }

            return TypedResults.Redirect(home);
        });

        accountGroup.MapPost("/PasskeyCreationOptions", async (
            HttpContext context,
            [FromServices] UserManager<ApplicationUser> userManager,
            [FromServices] SignInManager<ApplicationUser> signInManager,
            [FromServices] IAntiforgery antiforgery) =>
        {
            await antiforgery.ValidateRequestAsync(context);

            var user = await userManager.GetUserAsync(context.User);
            if (user is null)
            {
                return Results.NotFound($"Unable to load user with ID '{userManager.GetUserId(context.User)}'.");
            }

            var userId = await userManager.GetUserIdAsync(user);
            var userName = await userManager.GetUserNameAsync(user) ?? "User";
            var optionsJson = await signInManager.MakePasskeyCreationOptionsAsync(new()
            {
                Id = userId,
                Name = userName,
                DisplayName = userName
            });
            return TypedResults.Content(optionsJson, contentType: "application/json");
        });

        accountGroup.MapPost("/PasskeyRequestOptions", async (
            HttpContext context,
            [FromServices] UserManager<ApplicationUser> userManager,
            [FromServices] SignInManager<ApplicationUser> signInManager,
            [FromServices] IAntiforgery antiforgery,
            [FromQuery] string? username) =>
        {
            await antiforgery.ValidateRequestAsync(context);

            var user = string.IsNullOrEmpty(username) ? null : await userManager.FindByNameAsync(username);
            var optionsJson = await signInManager.MakePasskeyRequestOptionsAsync(user);
            return TypedResults.Content(optionsJson, contentType: "application/json");
        });

        var manageGroup = accountGroup.MapGroup("/Manage").RequireAuthorization();

        manageGroup.MapPost("/LinkExternalLogin", async Task<IResult> (
            HttpContext context,
            [FromServices] SignInManager<ApplicationUser> signInManager,
            [FromForm] string? provider) =>
        {
            if (!await IsExternalSchemeAsync(signInManager, provider))
            {
                IdentityRedirectManager.SetStatus(context, "Error: That sign-in provider is not available.");
                return TypedResults.Redirect($"{context.Request.PathBase}/Account/Manage/ExternalLogins");
            }

            // Clear the existing external cookie to ensure a clean login process
            await context.SignOutAsync(IdentityConstants.ExternalScheme);

            var redirectUrl = UriHelper.BuildRelative(
                context.Request.PathBase,
                "/Account/Manage/ExternalLogins",
                QueryString.Create("Action", ExternalLogins.LinkLoginCallbackAction));

            var properties = signInManager.ConfigureExternalAuthenticationProperties(provider, redirectUrl, signInManager.UserManager.GetUserId(context.User));
            return TypedResults.Challenge(properties, [provider!]);
        });

        var loggerFactory = endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>();
        var downloadLogger = loggerFactory.CreateLogger("DownloadPersonalData");

        manageGroup.MapPost("/DownloadPersonalData", async (
            HttpContext context,
            [FromServices] UserManager<ApplicationUser> userManager,
            [FromServices] AuthenticationStateProvider authenticationStateProvider) =>
        {
            var user = await userManager.GetUserAsync(context.User);
            if (user is null)
            {
                return Results.NotFound($"Unable to load user with ID '{userManager.GetUserId(context.User)}'.");
            }

            var userId = await userManager.GetUserIdAsync(user);
            downloadLogger.PersonalDataRequested(userId);

            // Only include personal data for download
            var personalData = new Dictionary<string, string>();
            var personalDataProps = typeof(ApplicationUser).GetProperties().Where(
                prop => Attribute.IsDefined(prop, typeof(PersonalDataAttribute)));
            foreach (var p in personalDataProps)
            {
                personalData.Add(p.Name, p.GetValue(user)?.ToString() ?? "null");
            }

            var logins = await userManager.GetLoginsAsync(user);
            foreach (var l in logins)
            {
                personalData.Add($"{l.LoginProvider} external login provider key", l.ProviderKey);
            }

            personalData.Add("Authenticator Key", (await userManager.GetAuthenticatorKeyAsync(user))!);
            var fileBytes = JsonSerializer.SerializeToUtf8Bytes(personalData);

            context.Response.Headers.TryAdd("Content-Disposition", "attachment; filename=PersonalData.json");
            return TypedResults.File(fileBytes, contentType: "application/json", fileDownloadName: "PersonalData.json");
        });

        return accountGroup;
    }

    /// <summary>Only the single sign-on scheme: the policy scheme that picks bearer or cookie has a display name too.</summary>
    private static async Task<bool> IsExternalSchemeAsync(SignInManager<ApplicationUser> signInManager, string? provider) =>
        provider == SingleSignOnService.Scheme
        && (await signInManager.GetExternalAuthenticationSchemesAsync()).Any(s => s.Name == provider);
}
