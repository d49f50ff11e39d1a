using Microsoft.Playwright;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>The generic error page as a person sees it: readable, a request id to quote, no internals.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ErrorPageViewTests(BrowserFixture browser)
{
    [Fact]
    public async Task Error_page_reads_plainly_and_offers_a_request_id()
    {
        var page = await browser.NewPageAsync();

        await page.GotoAsync("/Error");

        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Something went wrong" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("request-id")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(".{8,}"));
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "back to the home page" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Development")).ToHaveCountAsync(0);
        await BrowserFixture.ScreenshotAsync(page, "error-page");
    }
}
