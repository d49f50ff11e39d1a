using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using ModelRegistry.Core.Identity;

namespace ModelRegistry.Web.Hosting;

/// <summary>
/// The OpenID Connect handler for single sign-on (docs/sso.md, docs/decisions/0026-single-sign-on.md): authorization
/// code with PKCE, claims from the userinfo endpoint as well as the ID token, the groups claim kept under its own name,
/// the ID token saved for the provider's sign-out. What it signs in goes to the external cookie; the ExternalLogin page
/// hands it to <see cref="SingleSignOnService"/>.
/// </summary>
internal static partial class SingleSignOnRegistration
{
    private static readonly string[] BaseScopes = ["openid", "profile", "email"];

    public static AuthenticationBuilder AddRegistrySingleSignOn(this AuthenticationBuilder authentication, OidcOptions oidc) =>
        authentication.AddOpenIdConnect(SingleSignOnService.Scheme, oidc.DisplayName, options =>
        {
            options.SignInScheme = IdentityConstants.ExternalScheme;
            // The ID token for the provider's end-session request is read from the registry's own cookie.
            options.SignOutScheme = IdentityConstants.ApplicationScheme;
            options.Authority = oidc.Authority?.TrimEnd('/');
            options.ClientId = oidc.ClientId;
            options.ClientSecret = oidc.ClientSecret;
            options.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
            options.ResponseType = OpenIdConnectResponseType.Code;
            options.UsePkce = true;
            options.Scope.Clear();
            foreach (var scope in BaseScopes.Concat(oidc.Scopes).Distinct(StringComparer.Ordinal))
            {
                options.Scope.Add(scope);
            }

            // Real providers put e-mail and groups in the userinfo answer rather than the ID token unless told otherwise.
            options.GetClaimsFromUserInfoEndpoint = true;
            options.MapInboundClaims = false; // claims keep the provider's names: sub, email, name, groups
            options.TokenValidationParameters.NameClaimType = "name";
            options.ClaimActions.MapJsonKey(oidc.GroupsClaim, oidc.GroupsClaim);
            options.ClaimActions.MapUniqueJsonKey("email_verified", "email_verified");
            options.SaveTokens = true;
            options.CallbackPath = "/signin-oidc";
            options.SignedOutCallbackPath = "/signout-callback-oidc";
            options.SignedOutRedirectUri = "/";
            // Whether the provider sent the groups claim at all (an empty list is an answer; no claim is a misconfiguration).
            options.Events.OnTokenValidated = context =>
            {
                if (context.SecurityToken?.Claims.Any(c => c.Type == oidc.GroupsClaim) == true)
                {
                    MarkGroupsPresent(context.Principal);
                }

                return Task.CompletedTask;
            };
            options.Events.OnUserInformationReceived = context =>
            {
                if (context.User.RootElement.TryGetProperty(oidc.GroupsClaim, out _))
                {
                    MarkGroupsPresent(context.Principal);
                }

                return Task.CompletedTask;
            };
            options.Events.OnRemoteFailure = context =>
            {
                var logger = context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SingleSignOnRegistration));
                LogRemoteFailure(logger, context.Failure?.Message ?? "unknown");
                Components.Account.IdentityRedirectManager.SetStatus(context.HttpContext,
                    "Error: Single sign-on did not complete (" + Describe(context.Failure) + "). Try again, or ask an administrator to check the registry's log.");
                context.Response.Redirect($"{context.Request.PathBase}/Account/Login");
                context.HandleResponse();
                return Task.CompletedTask;
            };
        });

    /// <summary>The claim that says the provider's answer carried the groups claim (possibly empty).</summary>
    public const string GroupsPresentClaim = "registry:groups-present";

    private static void MarkGroupsPresent(System.Security.Claims.ClaimsPrincipal? principal)
    {
        if (principal?.Identity is System.Security.Claims.ClaimsIdentity identity && !identity.HasClaim(c => c.Type == GroupsPresentClaim))
        {
            identity.AddClaim(new System.Security.Claims.Claim(GroupsPresentClaim, "1"));
        }
    }

    /// <summary>A sentence for people about why signing in through the provider failed (details go to the log).</summary>
    public static string Describe(Exception? failure) => failure?.Message switch
    {
        null => "no reason given",
        var m when m.Contains("Correlation failed", StringComparison.Ordinal) => "the sign-in took too long or was started in another tab",
        var m when m.Contains("access_denied", StringComparison.Ordinal) => "the identity provider refused the sign-in",
        var m when m.Contains("invalid_client", StringComparison.Ordinal) => "the identity provider did not accept the registry's client id or secret",
        var m when m.Contains("IDX20803", StringComparison.Ordinal) || m.Contains("IDX20804", StringComparison.Ordinal) =>
            "the identity provider could not be reached",
        _ => "the identity provider's answer was not accepted",
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Single sign-on failed at the callback: {Reason}")]
    private static partial void LogRemoteFailure(ILogger logger, string reason);
}
