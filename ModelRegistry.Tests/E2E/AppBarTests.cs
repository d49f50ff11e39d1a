using Microsoft.Playwright;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>The app bar's menus open (MudBlazor 9 activators must toggle their menu themselves).</summary>
[Collection(BrowserCollection.Name)]
public sealed class AppBarTests(BrowserFixture browser)
{
    [Fact]
    public async Task Account_menu_opens_and_signs_out()
    {
        var user = await browser.App.CreateUserAsync();
        var page = await browser.NewPageAsync(user);

        await page.Locator(".account-chip").ClickAsync();
        await page.GetByRole(AriaRole.Menuitem, new() { Name = "Sign out" }).ClickAsync();

        // Signed out, the home page sends them to sign in, and so does any other page.
        await page.WaitForURLAsync("**/Account/Login**");
        await page.GotoAsync("/models");
        await page.WaitForURLAsync("**/Account/Login**");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Notification_menu_says_when_there_is_nothing_yet()
    {
        var user = await browser.App.CreateUserAsync(Roles.DataScientist);
        var page = await browser.NewPageAsync(user);

        await page.GetByRole(AriaRole.Button, new() { Name = "Notifications", Exact = true }).ClickAsync();

        await Assertions.Expect(page.GetByText("Nothing yet.")).ToBeVisibleAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Mark all read" }).CountAsync());
        await page.Context.CloseAsync();
    }
}
