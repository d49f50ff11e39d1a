using Microsoft.Playwright;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

[Collection(BrowserCollection.Name)]
public sealed class AccountClosingTests(BrowserFixture browser)
{
    [Fact]
    public async Task A_data_scientist_closes_their_account_and_the_admin_sees_it_closed_under_their_name()
    {
        var scientist = await browser.App.CreateUserAsync(Roles.DataScientist);
        var admin = await browser.App.CreateUserAsync(Roles.Admin);
        var page = await browser.NewPageAsync(scientist);

        await page.GotoAsync("/Account/Manage/PersonalData");
        await page.GetByRole(AriaRole.Link, new() { Name = "Close my account" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Close your account" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("revokes all your API tokens")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "account-close");
        await page.GetByLabel("Password").FillAsync(scientist.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Close my account" }).ClickAsync();

        // Closing signs out, revokes tokens and writes the audit trail before the redirect: on two cores busy with the
        // whole suite this once took longer than the 30 s default (fresh-clone CI at 3738f80), so it gets a minute.
        await page.WaitForURLAsync("**/Account/Login", new() { Timeout = 60_000 });
        await Assertions.Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Your account is closed." })).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "account-closed");
        await page.GetByLabel("Email").FillAsync(scientist.Email);
        await page.GetByLabel("Password").FillAsync(scientist.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Wrong e-mail or password" })).ToBeVisibleAsync();

        var adminPage = await browser.NewPageAsync(admin);
        await adminPage.GotoAsync("/admin/users");
        await BrowserFixture.WaitForCircuitAsync(adminPage);
        var row = adminPage.GetByRole(AriaRole.Row).Filter(new() { HasText = scientist.Email });
        await Assertions.Expect(row).ToContainTextAsync("Closed");
        await Assertions.Expect(row).Not.ToContainTextAsync(Roles.DataScientist);
        Assert.Equal(0, await row.GetByRole(AriaRole.Button, new() { Name = "Unlock" }).CountAsync());
        await BrowserFixture.ScreenshotAsync(adminPage, "admin-users-closed");

        await page.Context.CloseAsync();
        await adminPage.Context.CloseAsync();
    }
}
