using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Identity;
using ModelRegistry.Core.Security;

namespace ModelRegistry.Web.Components.Account;

internal sealed class IdentityRedirectManager(NavigationManager navigationManager)
{
    public const string StatusCookieName = "Identity.StatusMessage";

    private static readonly CookieBuilder StatusCookieBuilder = new()
    {
        SameSite = SameSiteMode.Strict,
        HttpOnly = true,
        IsEssential = true,
        MaxAge = TimeSpan.FromSeconds(5),
    };

    /// <summary>
    /// Redirects within the registry only: <paramref name="uri"/> (a return URL from the query, or a page's own path)
    /// that resolves anywhere else — another host or scheme, <c>//host</c>, <c>/\host</c>, <c>javascript:</c> — goes to
    /// the home page instead, so a crafted sign-in link can neither redirect off-site nor fail.
    /// </summary>
    public void RedirectTo(string? uri) => navigationManager.NavigateTo(LocalOrHome(new Uri(navigationManager.BaseUri), uri).AbsoluteUri);

    /// <summary><paramref name="uri"/> resolved against the app's base address if it stays inside the app; otherwise the base.</summary>
    public static Uri LocalOrHome(Uri appBase, string? uri) =>
        !string.IsNullOrWhiteSpace(uri)
        && !uri.Contains('\\', StringComparison.Ordinal)
        && !uri.Any(char.IsControl)
        && Uri.TryCreate(appBase, uri, out var target)
        && target.Scheme == appBase.Scheme
        && appBase.IsBaseOf(target)
            ? target
            : appBase;

    /// <summary>Sets the one-shot status message the next account page shows (for endpoints that redirect without a page).</summary>
    public static void SetStatus(HttpContext context, string message) =>
        context.Response.Cookies.Append(StatusCookieName, message, StatusCookieBuilder.Build(context));

    public void RedirectTo(string uri, Dictionary<string, object?> queryParameters)
    {
        var uriWithoutQuery = navigationManager.ToAbsoluteUri(uri).GetLeftPart(UriPartial.Path);
        var newUri = navigationManager.GetUriWithQueryParameters(uriWithoutQuery, queryParameters);
        RedirectTo(newUri);
    }

    public void RedirectToWithStatus(string uri, string message, HttpContext context)
    {
        SetStatus(context, message);
        RedirectTo(uri);
    }

    private string CurrentPath => navigationManager.ToAbsoluteUri(navigationManager.Uri).GetLeftPart(UriPartial.Path);

    public void RedirectToCurrentPage() => RedirectTo(CurrentPath);

    public void RedirectToCurrentPageWithStatus(string message, HttpContext context)
        => RedirectToWithStatus(CurrentPath, message, context);

    public void RedirectToInvalidUser(UserManager<ApplicationUser> userManager, HttpContext context)
        => RedirectToWithStatus("Account/InvalidUser", $"Error: Unable to load user with ID '{userManager.GetUserId(context.User)}'.", context);
}
