using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>
/// Four registries and one real OpenID Connect provider (oidc-provider on loopback) for <see cref="SingleSignOnTests"/>:
/// the main one (password sign-in and single sign-on, roles from groups), one with password sign-in off, one whose
/// authority does not answer, one with a client secret the provider refuses.
/// </summary>
public sealed class SingleSignOnFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public OidcProvider Provider { get; } = new();
    public RegistryApp App { get; } = new();
    public RegistryApp SsoOnly { get; } = new();
    public RegistryApp Unreachable { get; } = new();
    public RegistryApp WrongSecret { get; } = new();
    public IBrowser Browser { get; private set; } = null!;

    public const string Button = "Sign in with Test IdP";

    public static readonly IReadOnlyDictionary<string, string> RoleGroups = new Dictionary<string, string>
    {
        ["Admin"] = "registry-admins",
        ["DataScientist"] = "ml-engineers",
        ["Reviewer"] = "model-reviewers",
        ["Auditor"] = "auditors",
        ["Viewer"] = "everyone",
    };

    public async ValueTask InitializeAsync()
    {
        Configure(App, Provider.Authority, "registry", "main-secret");
        Configure(SsoOnly, Provider.Authority, "registry-sso-only", "sso-secret");
        SsoOnly.Settings["Registry:Auth:LocalLogin"] = "false";
        Configure(Unreachable, $"http://127.0.0.1:{OidcProvider.FreePort()}", "registry", "main-secret");
        Configure(WrongSecret, Provider.Authority, "registry-wrong", "not-the-secret");
        foreach (var app in new[] { App, SsoOnly, Unreachable, WrongSecret })
        {
            app.UseKestrel(0);
            app.StartServer();
        }

        await Provider.StartAsync(
        [
            OidcProvider.Client("registry", "main-secret", Base(App)),
            OidcProvider.Client("registry-sso-only", "sso-secret", Base(SsoOnly)),
            OidcProvider.Client("registry-wrong", "the-real-secret", Base(WrongSecret)),
        ], CancellationToken.None);

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--no-first-run", "--disable-quic"],
        });
    }

    public static string Base(RegistryApp app) => app.ClientOptions.BaseAddress.ToString().TrimEnd('/');

    private static void Configure(RegistryApp app, string authority, string clientId, string secret)
    {
        app.Settings["Registry:Auth:Oidc:Enabled"] = "true";
        app.Settings["Registry:Auth:Oidc:Authority"] = authority;
        app.Settings["Registry:Auth:Oidc:ClientId"] = clientId;
        app.Settings["Registry:Auth:Oidc:ClientSecret"] = secret;
        app.Settings["Registry:Auth:Oidc:RequireHttpsMetadata"] = "false";
        app.Settings["Registry:Auth:Oidc:DisplayName"] = Button;
        foreach (var (role, group) in RoleGroups)
        {
            app.Settings[$"Registry:Auth:Oidc:RoleGroups:{role}:0"] = group;
        }
    }

    public async Task<IPage> NewPageAsync(RegistryApp app, int width = 1366, int height = 768)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = Base(app), ViewportSize = new() { Width = width, Height = height } });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        await Provider.DisposeAsync();
        foreach (var app in new[] { App, SsoOnly, Unreachable, WrongSecret })
        {
            await app.DisposeAsync();
        }
    }
}

/// <summary>
/// Single sign-on through a real provider in a real browser (docs/sso.md): first sign-in creates the account, each role
/// follows its group, a removed group takes the role (and the API token) away, password sign-in off, account linking
/// only with the password, and readable errors for a provider that cannot be used.
/// </summary>
public sealed class SingleSignOnTests(SingleSignOnFixture sso) : IClassFixture<SingleSignOnFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Unique(string name) => $"{name}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Clicks the single sign-on button and signs in at the provider as <paramref name="sub"/>.</summary>
    private static async Task SignInThroughProviderAsync(IPage page, string sub, bool expectProviderForm = true)
    {
        await page.GotoAsync("/Account/Login");
        await page.GetByRole(AriaRole.Button, new() { Name = SingleSignOnFixture.Button }).ClickAsync();
        if (expectProviderForm)
        {
            await page.GetByLabel("Account").FillAsync(sub);
            await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        }

        await page.WaitForURLAsync(url => !url.Contains("/interaction/", StringComparison.Ordinal) && !url.Contains("signin-oidc", StringComparison.Ordinal)
                                          && !url.Contains("/Account/ExternalLogin", StringComparison.Ordinal));
    }

    private static async Task<JsonElement> MeAsync(IPage page)
    {
        var response = await page.APIRequest.GetAsync("/api/v1/me");
        Assert.Equal(200, response.Status);
        return (await response.JsonAsync())!.Value;
    }

    private static List<string> Roles(JsonElement me) => me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()!).ToList();

    [Fact]
    public async Task First_sign_in_creates_the_account_from_the_provider_and_sign_out_ends_the_provider_session_too()
    {
        var sub = Unique("alice");
        var email = $"{sub}@corp.example";
        await sso.Provider.SetAccountAsync(sub, email, ["ml-engineers", "everyone"], "Alice Example");
        var page = await sso.NewPageAsync(sso.App);
        await page.GotoAsync("/Account/Login");
        // Only the provider's button: the policy scheme that picks bearer or cookie is no way to sign in.
        Assert.Equal(1, await page.Locator("form[action='Account/PerformExternalLogin'] button").CountAsync());
        await BrowserFixture.ScreenshotAsync(page, "sso/login-both");
        await SignInThroughProviderAsync(page, sub);

        var me = await MeAsync(page);
        Assert.Equal(email, me.GetProperty("email").GetString());
        Assert.Equal(["DataScientist"], Roles(me));
        await Assertions.Expect(page.GetByText("Alice Example")).ToBeVisibleAsync();

        await using (var db = await sso.App.DbAsync())
        {
            var user = await db.Users.SingleAsync(u => u.Email == email, Ct);
            var events = await db.AuditEvents.Where(e => e.EntityId == user.Id).OrderBy(e => e.Sequence).Select(e => new { e.Action, e.ActorName }).ToListAsync(Ct);
            Assert.Contains(events, e => e.Action == "user.created" && e.ActorName == "sso");
            Assert.Contains(events, e => e.Action == "user.role_granted" && e.ActorName == "sso");
        }

        // Sign-out leaves the registry and the provider (its end-session endpoint, then back through /signout-callback-oidc):
        // signing in again asks the provider for the account again.
        var visited = new List<string>();
        page.Request += (_, request) => visited.Add(request.Url);
        Assert.DoesNotContain("/Account/Login", page.Url, StringComparison.Ordinal);
        await page.EvaluateAsync("document.getElementById('logout-form').requestSubmit()");
        await page.WaitForURLAsync(url => url.Contains("/Account/Login", StringComparison.Ordinal));
        Assert.Contains(visited, url => url.StartsWith(sso.Provider.Authority + "/session/end", StringComparison.Ordinal));
        Assert.Contains(visited, url => url.Contains("/signout-callback-oidc", StringComparison.Ordinal));
        Assert.Equal(401, (await page.APIRequest.GetAsync("/api/v1/me")).Status);
        await page.GotoAsync("/Account/Login");
        await page.GetByRole(AriaRole.Button, new() { Name = SingleSignOnFixture.Button }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Account")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Each_role_follows_its_group()
    {
        foreach (var role in ModelRegistry.Core.Security.Roles.Assignable)
        {
            var sub = Unique(role.ToLowerInvariant());
            await sso.Provider.SetAccountAsync(sub, $"{sub}@corp.example", [SingleSignOnFixture.RoleGroups[role], "unrelated-group"]);
            var page = await sso.NewPageAsync(sso.App);
            await SignInThroughProviderAsync(page, sub);
            Assert.Equal([role], Roles(await MeAsync(page)));
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_group_removed_between_sign_ins_takes_the_role_and_then_every_access_and_the_token_away()
    {
        var sub = Unique("rita");
        var email = $"{sub}@corp.example";
        await sso.Provider.SetAccountAsync(sub, email, ["model-reviewers", "everyone"]);
        var page = await sso.NewPageAsync(sso.App);
        await SignInThroughProviderAsync(page, sub);
        Assert.Equal(["Reviewer"], Roles(await MeAsync(page)));

        string userId;
        await using (var db = await sso.App.DbAsync())
        {
            userId = await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync(Ct);
        }

        var token = await sso.App.Get<TokenService>().CreateAsync(Actor.CommandLine, userId, "ci", null, Ct);
        using var api = sso.App.AnonymousClient();
        api.DefaultRequestHeaders.Authorization = new("Bearer", token.Token);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/me", Ct)).StatusCode);

        // An Admin cannot hand out roles that the directory decides: the users page says so and offers the re-check.
        var admin = await sso.App.CreateUserAsync(ModelRegistry.Core.Security.Roles.Admin);
        var refused = await Assert.ThrowsAsync<ConflictException>(() => sso.App.Get<UserAdminService>().GrantRoleAsync(admin.Actor, userId, "Admin", Ct));
        Assert.Contains("identity provider", refused.Message, StringComparison.Ordinal);
        var adminPage = await sso.NewPageAsync(sso.App);
        await BrowserFixture.SignInAsync(adminPage, admin);
        await adminPage.GotoAsync("/admin/users");
        await BrowserFixture.WaitForCircuitAsync(adminPage);
        var row = adminPage.GetByRole(AriaRole.Row).Filter(new() { HasText = email });
        await Assertions.Expect(row.GetByText("from directory groups")).ToBeVisibleAsync();
        Assert.Equal(0, await row.GetByRole(AriaRole.Button, new() { Name = $"Change roles of {email}" }).CountAsync());
        await BrowserFixture.ScreenshotAsync(adminPage, "sso/admin-users");
        await row.GetByRole(AriaRole.Button, new() { Name = "Re-check against directory" }).ClickAsync();
        await Assertions.Expect(adminPage.GetByText($"Re-checked {email}")).ToBeVisibleAsync();
        Assert.Equal(401, (await page.APIRequest.GetAsync("/api/v1/me")).Status); // the re-check ended the session
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/me", Ct)).StatusCode); // the token keeps its justified role

        // Reviewer group gone, still in "everyone": a Viewer at the next sign-in.
        await sso.Provider.SetAccountAsync(sub, email, ["everyone"]);
        var again = await sso.NewPageAsync(sso.App);
        await SignInThroughProviderAsync(again, sub);
        Assert.Empty(Roles(await MeAsync(again)));

        // No mapped group left: refused with the reason, and the token stops working.
        await sso.Provider.SetAccountAsync(sub, email, ["unrelated-group"]);
        var last = await sso.NewPageAsync(sso.App);
        await SignInThroughProviderAsync(last, sub);
        await Assertions.Expect(last.GetByText("None of your groups at the identity provider gives access")).ToBeVisibleAsync();
        Assert.Equal(401, (await last.APIRequest.GetAsync("/api/v1/me")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/me", Ct)).StatusCode);
        await using (var db = await sso.App.DbAsync())
        {
            Assert.Contains(await db.AuditEvents.Where(e => e.EntityId == userId).Select(e => new { e.Action, e.ActorName }).ToListAsync(Ct),
                e => e.Action == "user.role_revoked" && e.ActorName == "sso");
        }
    }

    [Fact]
    public async Task A_token_without_the_groups_claim_is_refused_with_what_to_fix()
    {
        var sub = Unique("nogroups");
        await sso.Provider.SetAccountAsync(sub, $"{sub}@corp.example", groups: null);
        var page = await sso.NewPageAsync(sso.App);
        await SignInThroughProviderAsync(page, sub);
        await Assertions.Expect(page.GetByText("has no 'groups' claim")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task An_existing_local_account_is_linked_only_with_its_password()
    {
        var local = await sso.App.CreateUserAsync();
        var sub = Unique("bob");
        await sso.Provider.SetAccountAsync(sub, local.Email, ["auditors"]);
        var page = await sso.NewPageAsync(sso.App);
        await SignInThroughProviderAsync(page, sub);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Link your account" })).ToBeVisibleAsync();

        await page.GetByLabel($"Password of {local.Email}").FillAsync("not-the-password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Link and sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByText("The accounts were not linked")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "sso/link-refused");
        Assert.Equal(401, (await page.APIRequest.GetAsync("/api/v1/me")).Status);
        await using (var db = await sso.App.DbAsync())
        {
            Assert.False(await db.UserLogins.AnyAsync(l => l.UserId == local.Id, Ct));
        }

        await page.GetByLabel($"Password of {local.Email}").FillAsync(local.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Link and sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/Account/", StringComparison.Ordinal));
        var me = await MeAsync(page);
        Assert.Equal(local.Email, me.GetProperty("email").GetString());
        Assert.Equal(["Auditor"], Roles(me));
    }

    [Fact]
    public async Task With_local_login_off_only_single_sign_on_is_offered()
    {
        foreach (var (width, height, name) in new[] { (1366, 768, "desktop"), (390, 844, "phone") })
        {
            var page = await sso.NewPageAsync(sso.SsoOnly, width, height);
            await page.GotoAsync("/Account/Login");
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = SingleSignOnFixture.Button })).ToBeVisibleAsync();
            Assert.Equal(0, await page.GetByLabel("Password").CountAsync());
            await Assertions.Expect(page.GetByText("signs people in through single sign-on only")).ToBeVisibleAsync();
            await BrowserFixture.ScreenshotAsync(page, $"sso/login-sso-only-{name}");
        }

        // The password check itself refuses too, whichever form would ask.
        var local = await sso.SsoOnly.CreateUserAsync();
        await using var scope = sso.SsoOnly.Services.CreateAsyncScope();
        var http = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Http.IHttpContextAccessor>();
        http.HttpContext = new Microsoft.AspNetCore.Http.DefaultHttpContext { RequestServices = scope.ServiceProvider };
        var signIn = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.SignInManager<ApplicationUser>>();
        var result = await signIn.PasswordSignInAsync(local.Email, local.Password, false, false);
        Assert.False(result.Succeeded);
    }

    [Fact]
    public async Task An_unreachable_authority_or_a_refused_client_secret_shows_a_readable_error()
    {
        foreach (var (app, text, name) in new[]
                 {
                     (sso.Unreachable, "The identity provider could not be reached.", "unreachable"),
                     (sso.WrongSecret, "Signing in through single sign-on is not possible right now", "wrong-secret"),
                 })
        {
            var page = await sso.NewPageAsync(app);
            await page.GotoAsync("/Account/Login");
            await page.GetByRole(AriaRole.Button, new() { Name = SingleSignOnFixture.Button }).ClickAsync();
            await page.WaitForURLAsync(url => url.Contains("/Account/Login", StringComparison.Ordinal));
            await Assertions.Expect(page.GetByText(text)).ToBeVisibleAsync();
            await BrowserFixture.ScreenshotAsync(page, $"sso/error-{name}");
        }
    }
}
