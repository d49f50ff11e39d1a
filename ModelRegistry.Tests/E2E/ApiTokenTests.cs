using Microsoft.Playwright;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

[Collection(BrowserCollection.Name)]
public sealed class ApiTokenTests(BrowserFixture browser)
{
    /// <summary>Calls the API with the token alone (no dashboard cookie) and returns the status code.</summary>
    private async Task<int> CallApiWithAsync(string token)
    {
        using var http = new HttpClient { BaseAddress = new Uri(browser.BaseUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/models");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return (int)response.StatusCode;
    }

    [Fact]
    public async Task Token_is_shown_once_works_until_revoked_then_shows_as_revoked()
    {
        var user = await browser.App.CreateUserAsync(Roles.DataScientist);
        var page = await browser.NewPageAsync(user);

        await page.GotoAsync("/tokens");
        await BrowserFixture.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByText("You have no tokens")).ToBeVisibleAsync();
        await page.GetByLabel("Name").FillAsync("ci-e2e");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();

        var shown = page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Copy your new token now" });
        await Assertions.Expect(shown).ToBeVisibleAsync();
        var token = (await shown.Locator("code").InnerTextAsync()).Trim();
        Assert.StartsWith(TokenService.TokenPrefix, token);
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "ci-e2e" });
        await Assertions.Expect(row).ToContainTextAsync("Active");
        await Assertions.Expect(row).ToContainTextAsync(token[..10]);
        await BrowserFixture.ScreenshotAsync(page, "tokens");
        Assert.Equal(200, await CallApiWithAsync(token));

        await page.ReloadAsync();
        await BrowserFixture.WaitForCircuitAsync(page);
        await Assertions.Expect(row).ToBeVisibleAsync();
        Assert.Equal(0, await page.GetByText(token).CountAsync());

        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke ci-e2e" }).ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("Revoked");
        Assert.Equal(0, await row.GetByRole(AriaRole.Button, new() { Name = "Revoke ci-e2e" }).CountAsync());
        Assert.Equal(401, await CallApiWithAsync(token));
        await BrowserFixture.ScreenshotAsync(page, "tokens-revoked");
        await page.Context.CloseAsync();
    }
}
