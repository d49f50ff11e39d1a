using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using ModelRegistry.Core.Identity;
using ModelRegistry.Core.Security;
using ModelRegistry.Web.Components.Account;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Hosting;

internal static class AuthenticationRegistration
{
    /// <summary>The authentication scheme that picks bearer token or cookie per request.</summary>
    public const string SmartScheme = "Registry";

    /// <summary>
    /// Who is signed in: the dashboard's authentication state and <see cref="CurrentActor"/>; the cookie or a bearer
    /// token per request; Identity's sign-in manager; roles re-read from the database on each request.
    /// </summary>
    public static IServiceCollection AddRegistryAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddCascadingAuthenticationState();
        services.AddScoped<IdentityRedirectManager>();
        services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();
        services.AddScoped<CurrentActor>();
        services.AddScoped<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler, ModelViewerCircuitHandler>();

        var authentication = services.AddAuthentication(options =>
            {
                options.DefaultScheme = SmartScheme;
                options.DefaultChallengeScheme = SmartScheme;
                options.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddPolicyScheme(SmartScheme, "Bearer token or dashboard cookie", options =>
                options.ForwardDefaultSelector = context =>
                    context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                        ? ApiTokenAuthenticationHandler.SchemeName
                        : IdentityConstants.ApplicationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null);
        authentication.AddIdentityCookies();
        var oidc = configuration.GetSection(OidcOptions.Section).Get<OidcOptions>() ?? new OidcOptions();
        if (oidc.Enabled)
        {
            authentication.AddRegistrySingleSignOn(oidc);
        }

        services.ConfigureApplicationCookie(cookie =>
        {
            cookie.Cookie.Name = "registry.auth";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest; // Secure whenever served over HTTPS.
            cookie.LoginPath = "/Account/Login";
            cookie.AccessDeniedPath = "/Account/AccessDenied";
            // API callers get status codes, not a redirect to the sign-in page.
            cookie.Events.OnRedirectToLogin = context => ApiAwareRedirect(context, StatusCodes.Status401Unauthorized);
            cookie.Events.OnRedirectToAccessDenied = context => ApiAwareRedirect(context, StatusCodes.Status403Forbidden);
            // Other sessions end on their next request once the security stamp changes, not up to 30 minutes later.
            cookie.Events.OnValidatePrincipal = SessionStampValidator.ValidatePrincipalAsync;
        });

        new IdentityBuilder(typeof(ApplicationUser), typeof(IdentityRole), services)
            .AddSignInManager<RegistrySignInManager>()
            .AddClaimsPrincipalFactory<RegistryClaimsPrincipalFactory>();
        services.AddSingleton<IEmailSender<ApplicationUser>, IdentityNoOpEmailSender>();
        services.AddHttpContextAccessor();
        services.AddScoped<IClaimsTransformation, RoleRefreshTransformation>();
        return services;
    }

    private static Task ApiAwareRedirect(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (WebRegistration.IsApiRequest(context.Request))
        {
            context.Response.StatusCode = status;
            if (status == StatusCodes.Status401Unauthorized)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
            }

            return Task.CompletedTask;
        }

        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }
}
