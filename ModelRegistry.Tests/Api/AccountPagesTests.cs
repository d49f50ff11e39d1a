using System.Globalization;
using System.Net;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// The server-rendered account pages (sign-in, links from e-mails, Manage) driven over HTTP as a browser drives them,
/// forms and antiforgery included: hostile or stale links get a readable answer, never a 500, and account changes go
/// through Core (audited, sessions ended where the credentials changed).
/// </summary>
public sealed class AccountPagesTests : IAsyncLifetime
{
    private readonly RegistryApp _app = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await _app.InitializeAsync();

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private static Task<HttpResponseMessage> SignInAsync(HttpClient client, string email, string password, string? returnUrl = null) =>
        AccountForms.PostAsync(client, returnUrl is null ? "/Account/Login" : $"/Account/Login?ReturnUrl={Uri.EscapeDataString(returnUrl)}",
            "login", new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = password });

    private static bool IsSignInRedirect(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.Redirect
        && response.Headers.Location?.OriginalString.Contains("/Account/Login", StringComparison.Ordinal) == true;

    // ---- Redirects and links that used to answer 500 ----

    [Theory]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    [InlineData("javascript:alert(1)")]
    public async Task Sign_in_with_a_foreign_return_url_lands_in_the_registry(string returnUrl)
    {
        var user = await _app.CreateUserAsync();
        using var client = _app.AnonymousClient();

        using var response = await SignInAsync(client, user.Email, user.Password, returnUrl);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var target = new Uri(_app.ClientOptions.BaseAddress, response.Headers.Location!);
        Assert.Equal(_app.ClientOptions.BaseAddress.Authority, target.Authority);
        Assert.Equal(_app.ClientOptions.BaseAddress.Scheme, target.Scheme);
        Assert.DoesNotContain("evil", target.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Sign_in_with_a_local_return_url_goes_there()
    {
        var user = await _app.CreateUserAsync();
        using var client = _app.AnonymousClient();

        using var response = await SignInAsync(client, user.Email, user.Password, "/models?search=llama");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/models?search=llama", new Uri(_app.ClientOptions.BaseAddress, response.Headers.Location!).PathAndQuery);
    }

    [Theory]
    [InlineData("x")]
    [InlineData("%25%25")]
    public async Task Reset_password_link_with_a_malformed_code_leads_to_the_invalid_link_page(string code)
    {
        using var client = _app.AnonymousClient();

        using var response = await client.GetAsync($"/Account/ResetPassword?code={code}", Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.EndsWith("/Account/InvalidPasswordReset", response.Headers.Location?.OriginalString);
    }

    [Theory]
    [InlineData("/Account/LoginWith2fa")]
    [InlineData("/Account/LoginWith2fa?ReturnUrl=%2Fmodels&RememberMe=notabool")]
    [InlineData("/Account/LoginWithRecoveryCode")]
    public async Task Two_factor_pages_without_a_pending_sign_in_send_back_to_sign_in(string path)
    {
        using var client = _app.AnonymousClient();

        using var response = await client.GetAsync(path, Ct);

        Assert.True(IsSignInRedirect(response), $"{path} answered {(int)response.StatusCode} {response.Headers.Location}");
    }

    [Fact]
    public async Task Register_confirmation_answers_alike_for_known_and_unknown_addresses_and_shows_no_link()
    {
        var user = await _app.CreateUserAsync();
        using var client = _app.AnonymousClient();

        using var known = await client.GetAsync($"/Account/RegisterConfirmation?email={Uri.EscapeDataString(user.Email)}", Ct);
        using var unknown = await client.GetAsync("/Account/RegisterConfirmation?email=nobody%40example.com", Ct);
        var knownHtml = await known.Content.ReadAsStringAsync(Ct);
        var unknownHtml = await unknown.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
        Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);
        // Element ids and data-protected state are fresh on every render; everything else must be the same.
        static string WithoutIds(string html) => System.Text.RegularExpressions.Regex.Replace(html,
            "[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|CfDJ8[A-Za-z0-9+/=_-]+", "id");
        Assert.Equal(WithoutIds(unknownHtml), WithoutIds(knownHtml));
        Assert.DoesNotContain("ConfirmEmail", knownHtml, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("check your e-mail", knownHtml, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Links_from_e_mails_with_bad_codes_show_a_readable_error()
    {
        var user = await _app.CreateUserAsync();
        using var client = _app.AnonymousClient();
        var cases = new Dictionary<string, string>
        {
            [$"/Account/ConfirmEmail?userId={user.Id}&code=x"] = "Error confirming your e-mail",
            ["/Account/ConfirmEmail?userId=no-such-user&code=x"] = "Error confirming your e-mail",
            [$"/Account/ConfirmEmailChange?userId={user.Id}&email=new%40example.com&code=x"] = "Error changing your e-mail",
            ["/Account/ConfirmEmailChange?userId=no-such-user&email=new%40example.com&code=x"] = "Error changing your e-mail",
        };

        var failures = new List<string>();
        foreach (var (path, message) in cases)
        {
            using var response = await client.GetAsync(path, Ct);
            var html = await response.Content.ReadAsStringAsync(Ct);
            if (response.StatusCode != HttpStatusCode.OK || !html.Contains(message, StringComparison.Ordinal))
            {
                failures.Add($"{path} → {(int)response.StatusCode} {response.Headers.Location}");
            }
        }

        Assert.Empty(failures);
    }

    [Fact]
    public async Task Manage_pages_for_two_factor_settings_not_enabled_redirect_with_a_message()
    {
        var user = await _app.CreateUserAsync();
        using var session = await CookieSession.SignInAsync(_app, user);

        foreach (var path in new[] { "/Account/Manage/Disable2fa", "/Account/Manage/GenerateRecoveryCodes" })
        {
            using var response = await session.Client.GetAsync(path, Ct);

            Assert.True(response.StatusCode == HttpStatusCode.Redirect
                && response.Headers.Location!.OriginalString.EndsWith("/Account/Manage/TwoFactorAuthentication", StringComparison.Ordinal),
                $"{path} answered {(int)response.StatusCode} {response.Headers.Location}");
            var page = await session.Client.GetStringAsync(response.Headers.Location, Ct);
            Assert.Contains("Two-factor authentication is not turned on", page, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("/evil.example/")]
    [InlineData("//evil.example/")]
    [InlineData("https://evil.example/")]
    [InlineData("")]
    public async Task Signing_out_with_a_foreign_return_url_lands_in_the_registry(string returnUrl)
    {
        var user = await _app.CreateUserAsync();
        using var session = await CookieSession.SignInAsync(_app, user);

        using var response = await session.Client.PostAsync("/Account/Logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = session.AntiforgeryToken,
            ["returnUrl"] = returnUrl,
        }), Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var target = new Uri(_app.ClientOptions.BaseAddress, response.Headers.Location!);
        Assert.Equal(_app.ClientOptions.BaseAddress.Authority, target.Authority);
        Assert.Equal(_app.ClientOptions.BaseAddress.Scheme, target.Scheme);
        Assert.True(IsSignInRedirect(await session.Client.GetAsync("/Account/Manage", Ct)), "still signed in");
    }

    [Fact]
    public async Task External_sign_in_with_an_unknown_provider_goes_back_with_a_message()
    {
        var user = await _app.CreateUserAsync();
        using var session = await CookieSession.SignInAsync(_app, user);
        using var anonymous = _app.AnonymousClient();
        var loginPage = await anonymous.GetStringAsync("/Account/Login", Ct);

        using var signIn = await anonymous.PostAsync("/Account/PerformExternalLogin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = AccountForms.Token(loginPage),
            ["provider"] = "NoSuchProvider",
            ["returnUrl"] = "/",
        }), Ct);
        using var link = await session.Client.PostAsync("/Account/Manage/LinkExternalLogin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = session.AntiforgeryToken,
            ["provider"] = "NoSuchProvider",
        }), Ct);

        Assert.True(IsSignInRedirect(signIn), $"sign-in answered {(int)signIn.StatusCode} {signIn.Headers.Location}");
        Assert.Equal(HttpStatusCode.Redirect, link.StatusCode);
        Assert.EndsWith("/Account/Manage/ExternalLogins", link.Headers.Location?.OriginalString);
    }

    // ---- Changing the password ----

    [Fact]
    public async Task Changing_the_password_ends_other_sessions_keeps_this_one_and_is_audited()
    {
        var user = await _app.CreateUserAsync();
        using var here = await CookieSession.SignInAsync(_app, user);
        using var elsewhere = await CookieSession.SignInAsync(_app, user);
        var before = await _app.LastAuditSequenceAsync();

        using var change = await AccountForms.PostAsync(here.Client, "/Account/Manage/ChangePassword", "change-password",
            new Dictionary<string, string>
            {
                ["Input.OldPassword"] = user.Password,
                ["Input.NewPassword"] = "a-brand-new-passphrase",
                ["Input.ConfirmPassword"] = "a-brand-new-passphrase",
            });

        Assert.Equal(HttpStatusCode.Redirect, change.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await here.Client.GetAsync("/Account/Manage", Ct)).StatusCode);
        Assert.True(IsSignInRedirect(await elsewhere.Client.GetAsync("/Account/Manage", Ct)), "the other session is still signed in");
        var changed = Assert.Single(await _app.AuditEventsAsync(before));
        Assert.Equal("user.password_changed", changed.Action);
        Assert.Equal(user.Id, changed.ActorId);
        Assert.Equal(user.Id, changed.EntityId);
        Assert.DoesNotContain("passphrase", changed.Data, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Wrong_current_passwords_on_the_change_password_page_lock_the_account()
    {
        var user = await _app.CreateUserAsync();
        using var session = await CookieSession.SignInAsync(_app, user);
        HttpResponseMessage? last = null;

        for (var attempt = 1; attempt <= 5; attempt++)
        {
            last?.Dispose();
            last = await AccountForms.PostAsync(session.Client, "/Account/Manage/ChangePassword", "change-password",
                new Dictionary<string, string>
                {
                    ["Input.OldPassword"] = $"guess-number-{attempt}",
                    ["Input.NewPassword"] = "a-brand-new-passphrase",
                    ["Input.ConfirmPassword"] = "a-brand-new-passphrase",
                });
            if (attempt < 5)
            {
                Assert.Contains("Incorrect password", await last.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
            }
        }

        Assert.Equal(HttpStatusCode.Redirect, last!.StatusCode);
        Assert.EndsWith("/Account/Lockout", last.Headers.Location?.OriginalString);
        last.Dispose();
        // Locked out: the session ended, and the right password does not sign in either.
        Assert.True(IsSignInRedirect(await session.Client.GetAsync("/Account/Manage", Ct)), "the session survived the lockout");
        using var client = _app.AnonymousClient();
        using var signIn = await SignInAsync(client, user.Email, user.Password);
        Assert.EndsWith("/Account/Lockout", signIn.Headers.Location?.OriginalString);
    }

    // ---- Closing the account (the page once called "Delete personal data") ----

    [Fact]
    public async Task Closing_the_account_ends_sessions_and_tokens_cancels_requests_and_keeps_the_name_in_the_audit_trail()
    {
        var scientist = await _app.CreateUserAsync(Roles.DataScientist);
        var model = LifecycleAppExtensions.Unique("closing");
        await _app.ModelWithVersionsAsync(scientist, model, 1);
        var request = await _app.RequestAsync(scientist, model, 1, Stage.Staging);
        using var api = await _app.ClientForAsync(scientist);
        using var session = await CookieSession.SignInAsync(_app, scientist);
        var before = await _app.LastAuditSequenceAsync();

        using var close = await AccountForms.PostAsync(session.Client, "/Account/Manage/DeletePersonalData", "delete-user",
            new Dictionary<string, string> { ["Input.Password"] = scientist.Password });

        Assert.Equal(HttpStatusCode.Redirect, close.StatusCode);
        Assert.True(IsSignInRedirect(await session.Client.GetAsync("/Account/Manage", Ct)), "still signed in");
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/models", Ct)).StatusCode);
        using (var anonymous = _app.AnonymousClient())
        using (var signIn = await SignInAsync(anonymous, scientist.Email, scientist.Password))
        {
            Assert.Equal(HttpStatusCode.OK, signIn.StatusCode); // the form again, with "Wrong e-mail or password"
        }

        Assert.Equal(TransitionStatus.Cancelled, (await _app.LifecycleQueries().GetAsync(request.Id, Ct)).Status);
        var events = await _app.AuditEventsAsync(before);
        Assert.Contains(events, e => e.Action == AuditActions.TokenRevoked);
        Assert.Contains(events, e => e.Action == AuditActions.TransitionCancelled && e.EntityId == request.Id.ToString(CultureInfo.InvariantCulture));
        var closed = Assert.Single(events, e => e.Action == "user.closed");
        Assert.Equal((scientist.Id, scientist.Email), (closed.ActorId, closed.ActorName));
        // What the user did stays attributed to them, readable, and the chain is whole.
        var history = await _app.AuditEventsAsync();
        Assert.Contains(history, e => e.Action == AuditActions.ModelCreated && e.ActorId == scientist.Id && e.ActorName == scientist.Email);
        await using var db = await _app.DbAsync();
        Assert.True((await AuditVerifier.VerifyAsync(db, Ct)).Valid);
    }

    [Fact]
    public async Task The_last_admin_cannot_close_their_account()
    {
        var admin = await _app.CreateUserAsync(Roles.Admin);
        using var session = await CookieSession.SignInAsync(_app, admin);

        using var close = await AccountForms.PostAsync(session.Client, "/Account/Manage/DeletePersonalData", "delete-user",
            new Dictionary<string, string> { ["Input.Password"] = admin.Password });

        Assert.Equal(HttpStatusCode.OK, close.StatusCode);
        Assert.Contains("last Admin", await close.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await session.Client.GetAsync("/Account/Manage", Ct)).StatusCode);
        Assert.DoesNotContain(await _app.AuditEventsAsync(), e => e.Action == "user.closed");
    }
}
