using Microsoft.Playwright;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

[Collection(BrowserCollection.Name)]
public sealed class SignInTests(BrowserFixture browser)
{
    private static async Task SubmitSignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/Account/Login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
    }

    [Fact]
    public async Task Five_wrong_passwords_lock_the_account_so_the_right_one_then_lands_on_the_lockout_page()
    {
        var user = await browser.App.CreateUserAsync();
        var page = await browser.NewPageAsync();

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            await SubmitSignInAsync(page, user.Email, "wrong-password-" + attempt);
            await Assertions.Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Wrong e-mail or password" })).ToBeVisibleAsync();
        }

        await SubmitSignInAsync(page, user.Email, "wrong-password-5");
        await SubmitSignInAsync(page, user.Email, user.Password);

        await page.WaitForURLAsync("**/Account/Lockout");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Locked out", Exact = true })).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "lockout");
        await page.GotoAsync("/");
        await page.WaitForURLAsync(url => url.Contains("/Account/Login", StringComparison.Ordinal));
        await page.Context.CloseAsync();
    }
}
