using Microsoft.Playwright;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>The API reference (/reference, Scalar) a signed-in user reads the REST API in.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ApiReferenceTests(BrowserFixture browser)
{
    [Fact]
    public async Task Reference_shows_the_operations_without_scalars_promotional_buttons()
    {
        var page = await browser.NewPageAsync(await browser.App.CreateUserAsync());

        await page.GotoAsync("/reference");

        await Assertions.Expect(page.GetByText("Model Registry for LLMs").First).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Lists models" }).First).ToBeVisibleAsync();
        // Scalar's toolbar advertises its hosting ("Deploy .NET"), SDK generation and sharing on Scalar's site, and the
        // sidebar its own API client app: none of it is ours to offer.
        foreach (var promotion in new[] { "Deploy .NET", "Generate SDK", "Share", "Open API Client" })
        {
            var found = page.GetByRole(AriaRole.Button, new() { Name = promotion, Exact = true });
            Assert.True(await found.CountAsync() == 0, $"{promotion}: {string.Join(" | ", await found.AllTextContentsAsync())}");
        }

        await page.Context.CloseAsync();
    }
}
