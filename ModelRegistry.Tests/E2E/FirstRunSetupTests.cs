using Microsoft.Playwright;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>First run needs a registry nobody has signed up to yet, so this test starts its own.</summary>
[Collection(BrowserCollection.Name)]
public sealed class FirstRunSetupTests(BrowserFixture browser)
{
    [Fact]
    public async Task First_admin_is_created_from_the_one_time_link_and_setup_then_closes()
    {
        await using var fresh = new RegistryApp();
        fresh.UseKestrel(0);
        fresh.StartServer();
        var token = fresh.Get<FirstRunSetup>().IssueToken();
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = fresh.ClientOptions.BaseAddress.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
        });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();

        await page.GotoAsync("/setup");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Setup link needed" })).ToBeVisibleAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Create administrator" }).CountAsync());
        await page.GotoAsync("/setup?token=not-the-token");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Setup link needed" })).ToBeVisibleAsync();

        await page.GotoAsync($"/setup?token={token}");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Create the first administrator" })).ToBeVisibleAsync();
        await page.GetByLabel("Your name").FillAsync("Ada Admin");
        await page.GetByLabel("Email").FillAsync("ada@example.com");
        await page.GetByLabel("Password (at least 10 characters)").FillAsync("first-admin-secret");
        await page.GetByLabel("Confirm password").FillAsync("first-admin-secret");
        await BrowserFixture.ScreenshotAsync(page, "setup");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create administrator" }).ClickAsync();

        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/");
        await BrowserFixture.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Home", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Ada Admin")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Users & roles" })).ToBeVisibleAsync();

        await page.GotoAsync($"/setup?token={token}");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Already set up" })).ToBeVisibleAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Create administrator" }).CountAsync());
        await context.CloseAsync();
    }

    [Fact]
    public async Task With_password_sign_in_off_setup_never_opens_and_says_where_admins_come_from()
    {
        await using var fresh = new RegistryApp();
        fresh.Settings["Registry:Auth:LocalLogin"] = "false";
        fresh.UseKestrel(0);
        fresh.StartServer();
        var setup = fresh.Get<FirstRunSetup>();
        var token = setup.IssueToken();

        // No users at all, yet closed: a password Admin could not sign in. The rule is Core's, not the page's.
        Assert.False(await setup.IsOpenAsync(TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ModelRegistry.Core.Common.ConflictException>(() =>
            setup.CreateFirstAdminAsync(token, "ada@example.com", "first-admin-secret", "Ada", TestContext.Current.CancellationToken));

        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = fresh.ClientOptions.BaseAddress.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = 1366, Height = 768 },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/setup?token={token}");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Setup is done through single sign-on" })).ToBeVisibleAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Create administrator" }).CountAsync());
        await BrowserFixture.ScreenshotAsync(page, "setup-sso-only");
        await context.CloseAsync();
    }
}
