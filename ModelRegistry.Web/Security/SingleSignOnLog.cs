using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Identity;

namespace ModelRegistry.Web.Security;

/// <summary>What the single sign-on endpoints log and tell people when the provider cannot be used.</summary>
internal static partial class SingleSignOnLog
{
    [LoggerMessage(Level = LogLevel.Error, Message =
        "Single sign-on could not start with provider {Provider}: {Reason}. Check Registry:Auth:Oidc:Authority (reachable from the server, " +
        "discovery document at /.well-known/openid-configuration), ClientId and ClientSecret, and the redirect URI <registry>/signin-oidc at the provider.")]
    public static partial void ChallengeFailed(ILogger logger, Exception exception, string provider, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Single sign-on: the provider's end-session endpoint could not be read ({Reason}); signed out of the registry only.")]
    private static partial void EndSessionUnknown(ILogger logger, string reason);

    /// <summary>The sentence people see when the challenge failed.</summary>
    public static string DescribeChallengeFailure(Exception e) =>
        e.Message.Contains("IDX20803", StringComparison.Ordinal) || e is HttpRequestException || e.InnerException is HttpRequestException
            ? "The identity provider could not be reached."
            : e.Message.Contains("invalid_client", StringComparison.Ordinal) || e.Message.Contains("unauthorized_client", StringComparison.Ordinal)
                ? "The identity provider did not accept the registry's client id or secret."
                : e.Message.Contains("redirect_uri", StringComparison.Ordinal)
                    ? "The identity provider did not accept the registry's redirect URI."
                    : "The identity provider refused to start the sign-in.";

    /// <summary>
    /// Whether the person signed in through the provider (the cookie carries its ID token) and the provider offers an
    /// end-session endpoint; read before the registry's cookie is cleared.
    /// </summary>
    public static async Task<bool> EndSessionAvailableAsync(HttpContext context, ILoggerFactory loggers)
    {
        if (await context.RequestServices.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(SingleSignOnService.Scheme) is null
            || await context.GetTokenAsync(IdentityConstants.ApplicationScheme, "id_token") is null)
        {
            return false;
        }

        try
        {
            var options = context.RequestServices.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(SingleSignOnService.Scheme);
            var configuration = await options.ConfigurationManager!.GetConfigurationAsync(context.RequestAborted);
            return !string.IsNullOrEmpty(configuration.EndSessionEndpoint);
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException)
        {
            EndSessionUnknown(loggers.CreateLogger("ModelRegistry.Web.SingleSignOn"), e.Message);
            return false;
        }
    }
}
