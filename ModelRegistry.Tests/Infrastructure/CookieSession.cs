using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>
/// An HTTP client signed in through the dashboard's sign-in form, so it authenticates with the cookie as a browser
/// does, plus the antiforgery token a dashboard page hands to its scripts.
/// </summary>
public sealed class CookieSession : IDisposable
{
    private CookieSession(HttpClient client, string antiforgeryToken)
    {
        Client = client;
        AntiforgeryToken = antiforgeryToken;
    }

    public HttpClient Client { get; }

    /// <summary>The token a signed-in page carries (the hidden field the dashboard's scripts send as a header).</summary>
    public string AntiforgeryToken { get; }

    public const string HeaderName = "RequestVerificationToken";

    public static async Task<CookieSession> SignInAsync(RegistryApp app, TestUser user)
    {
        var ct = TestContext.Current.CancellationToken;
        var client = app.CreateClient(new WebApplicationFactoryClientOptions
        {
            AllowAutoRedirect = false,
            HandleCookies = true,
            BaseAddress = app.ClientOptions.BaseAddress,
        });
        var form = await client.GetStringAsync("/Account/Login", ct);
        using var post = await client.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = AccountForms.TokenField().Match(form).Groups[1].Value,
            ["Input.Email"] = user.Email,
            ["Input.Password"] = user.Password,
        }), ct);
        Assert.True(post.StatusCode == HttpStatusCode.Redirect && post.Headers.Location?.OriginalString.Contains("Login") != true,
            $"signing in answered {(int)post.StatusCode} {post.Headers.Location}");

        // A server-rendered account page: its form carries a token issued to the signed-in user.
        var page = await client.GetStringAsync("/Account/Manage", ct);
        var token = AccountForms.TokenField().Match(page);
        Assert.True(token.Success, "the signed-in account page carries no antiforgery token");
        return new CookieSession(client, WebUtility.HtmlDecode(token.Groups[1].Value));
    }

    public void Dispose() => Client.Dispose();
}
