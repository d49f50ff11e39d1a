using Microsoft.Playwright;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>An unknown address inside the dashboard: a page in the app's layout with a way back, answered with 404.</summary>
[Collection(BrowserCollection.Name)]
public sealed class NotFoundPageTests(BrowserFixture browser)
{
    [Theory]
    [InlineData("/no/such/page")]
    [InlineData("/models/x/versions/1/nothing-here")]
    [InlineData("/not-found")]
    public async Task Signed_in_user_at_an_unknown_address_gets_a_page_with_a_way_back(string path)
    {
        var user = await browser.App.CreateUserAsync(Roles.DataScientist);
        var page = await browser.NewPageAsync(user);

        var response = await page.GotoAsync(path);

        Assert.Equal(404, response!.Status);
        await BrowserFixture.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Page not found" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("missing-path")).ToHaveTextAsync(path);
        await Assertions.Expect(page).ToHaveTitleAsync("Page not found · Model Registry");
        // Inside the app: the navigation is there, and the way back works.
        await Assertions.Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Main" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Sorry, the content you are looking for does not exist.")).ToHaveCountAsync(0);
        await BrowserFixture.ScreenshotAsync(page, "not-found");
        await page.GetByRole(AriaRole.Link, new() { Name = "Back to home" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Home", Exact = true })).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Signed_out_visitor_at_an_unknown_address_is_sent_to_sign_in()
    {
        var page = await browser.NewPageAsync();

        await page.GotoAsync("/no/such/page");

        await page.WaitForURLAsync("**/Account/Login**");
        await page.Context.CloseAsync();
    }
}
