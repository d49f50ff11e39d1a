using Microsoft.Playwright;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>
/// On a phone (390×844) the pages people check on the move fit the screen: no sideways scrolling, the navigation folded
/// into a menu. Screenshots of each at 1366×768 and 390×844 are kept under TestResults/screenshots/layout.
/// </summary>
[Collection(ShowcaseBrowserCollection.Name)]
public sealed class PhoneLayoutTests(BrowserFixture browser, ShowcaseSite site) : IClassFixture<ShowcaseSite>
{
    private static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };
    private static readonly ViewportSize Laptop = new() { Width = 1366, Height = 768 };

    public static TheoryData<string, string> Pages() => new()
    {
        { Roles.DataScientist, "/models" },
        { Roles.DataScientist, $"/models/{ShowcaseSite.Model}" },
        { Roles.DataScientist, $"/models/{ShowcaseSite.Model}/versions/2" },
        { Roles.DataScientist, $"/models/{ShowcaseSite.Model}/versions/2?tab=files" },
        { Roles.DataScientist, $"/models/{ShowcaseSite.Model}/versions/3?tab=lifecycle" },
        { Roles.DataScientist, $"/models/{ShowcaseSite.ChecklistModel}/versions/1/files/{ShowcaseSite.WeightFile}" },
        { Roles.Reviewer, "/approvals" },
        { Roles.Reviewer, "/" },
    };

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Page_fits_a_phone_without_sideways_scrolling(string role, string path)
    {
        var name = AccessibilityTests.ScreenshotName(role, path, dark: false);
        var wide = await site.OpenAsync(browser, role, path, Laptop);
        await BrowserFixture.ScreenshotAsync(wide, $"layout/1366x768/{name}");
        await wide.Context.CloseAsync();

        var page = await site.OpenAsync(browser, role, path, Phone);
        try
        {
            var overflow = await page.EvaluateAsync<int[]>("() => [document.scrollingElement.scrollWidth, window.innerWidth]");
            await BrowserFixture.ScreenshotAsync(page, $"layout/390x844/{name}");
            Assert.True(overflow[0] <= overflow[1], $"{path} is {overflow[0]} px wide on a {overflow[1]} px screen: {await WidestAsync(page)}");

            // The navigation is folded away behind the menu button, and the button opens it.
            var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" });
            await Assertions.Expect(nav).Not.ToBeInViewportAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Toggle navigation" }).ClickAsync();
            await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Models" })).ToBeInViewportAsync();
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    /// <summary>The elements that stick out past the right edge, for the failure message.</summary>
    private static Task<string> WidestAsync(IPage page) => page.EvaluateAsync<string>(
        """
        () => [...document.querySelectorAll('body *')]
          .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && getComputedStyle(e).position !== 'fixed')
          .filter(e => !e.closest('.mud-drawer'))
          .slice(0, 8)
          .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} (${Math.round(e.getBoundingClientRect().right)} px)`)
          .join(', ')
        """);
}
