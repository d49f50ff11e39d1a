using Microsoft.Playwright;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>
/// The model list's facets as a data scientist uses them (docs/design.md, "Model list facets"): counts beside each value,
/// a click narrows the list and puts the choice in the URL, a reload keeps it, the chip removes it; on a phone the same
/// panel opens from a Filters button. Screenshots: TestResults/screenshots/facets.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ModelFacetsJourneyTests(BrowserFixture browser)
{
    private static readonly ViewportSize Laptop = new() { Width = 1366, Height = 768 };
    private static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };
    private static readonly string[] Licences = ["mit", "mit", "apache-2.0"];

    /// <summary>
    /// Three models of a task no other test uses: two under the MIT licence (one in Production), one under Apache 2.0.
    /// Returns the task.
    /// </summary>
    private async Task<string> SeedAsync(TestUser ds, TestUser reviewer)
    {
        var task = LifecycleAppExtensions.Unique("facet-task");
        var names = Licences.Select((_, i) => LifecycleAppExtensions.Unique($"facet-{i}")).ToArray();
        var licences = Licences;
        for (var i = 0; i < names.Length; i++)
        {
            await browser.App.RegisterModelAsync(ds, names[i], task: task);
            await browser.App.CreateVersionAsync(ds, names[i], new VersionInput(License: licences[i], Format: WeightFormat.Safetensors));
        }

        await browser.App.PromoteAsync(ds, reviewer, names[0], 1, Stage.Production);
        return task;
    }

    private static ILocator FacetValue(ILocator scope, string facet, string label) =>
        scope.Locator($"section[data-facet='{facet}'] a.facet-value").Filter(new() { Has = scope.Page.Locator(".facet-label", new() { HasTextString = label }) });

    private static ILocator Rows(IPage page) => page.Locator(".model-table tbody tr");

    [Fact]
    public async Task Choosing_a_facet_value_narrows_the_list_keeps_it_in_the_url_across_a_reload_and_the_chip_removes_it()
    {
        var ds = await browser.App.CreateUserAsync(Roles.DataScientist);
        var reviewer = await browser.App.CreateUserAsync(Roles.Reviewer);
        var task = await SeedAsync(ds, reviewer);

        var page = await browser.NewPageAsync(browser.BaseUrl, Laptop);
        try
        {
            await BrowserFixture.SignInAsync(page, ds);
            await page.GotoAsync($"/models?task={task}");
            await BrowserFixture.WaitForCircuitAsync(page);
            await Assertions.Expect(Rows(page)).ToHaveCountAsync(3);

            // Each licence is counted over the three models of this task; the stage facet counts the one in Production.
            var sidebar = page.Locator("aside.facet-sidebar");
            var mit = FacetValue(sidebar, "license", "mit");
            await Assertions.Expect(mit.Locator(".facet-count")).ToHaveTextAsync("2");
            await Assertions.Expect(FacetValue(sidebar, "license", "apache-2.0").Locator(".facet-count")).ToHaveTextAsync("1");
            await Assertions.Expect(FacetValue(sidebar, "stage", "Production").Locator(".facet-count")).ToHaveTextAsync("1");
            // All seven columns fit beside the facets on a laptop: the table does not scroll sideways.
            var table = await page.EvaluateAsync<int[]>("() => { const c = document.querySelector('.model-table .mud-table-container'); return [c.scrollWidth, c.clientWidth]; }");
            Assert.True(table[0] <= table[1], $"the model table is {table[0]} px wide in a {table[1]} px column at 1366×768");
            await BrowserFixture.ScreenshotAsync(page, "facets/1366x768-task");

            await mit.ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("license=mit"));
            await Assertions.Expect(Rows(page)).ToHaveCountAsync(2);
            // The licence facet is counted without its own choice, so Apache 2.0 stays offered with its count.
            await Assertions.Expect(FacetValue(sidebar, "license", "apache-2.0").Locator(".facet-count")).ToHaveTextAsync("1");
            await Assertions.Expect(page.Locator(".chosen-filters")).ToContainTextAsync("mit");
            await BrowserFixture.ScreenshotAsync(page, "facets/1366x768-task-and-licence");

            await page.ReloadAsync();
            await BrowserFixture.WaitForCircuitAsync(page);
            Assert.Contains($"task={task}", page.Url, StringComparison.Ordinal);
            Assert.Contains("license=mit", page.Url, StringComparison.Ordinal);
            await Assertions.Expect(Rows(page)).ToHaveCountAsync(2);
            await Assertions.Expect(FacetValue(sidebar, "license", "mit")).ToHaveAttributeAsync("aria-current", "true");

            // Narrowed further by stage: only the model in Production is left.
            await FacetValue(sidebar, "stage", "Production").ClickAsync();
            await Assertions.Expect(Rows(page)).ToHaveCountAsync(1);
            Assert.Contains("stage=Production", page.Url, StringComparison.Ordinal);

            // The chip removes its filter and only that one.
            await page.Locator(".chosen-filters .mud-chip").Filter(new() { HasTextString = "Licence: mit" }).Locator("button").ClickAsync();
            await Assertions.Expect(page).Not.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("license="));
            Assert.Contains("stage=Production", page.Url, StringComparison.Ordinal);
            await Assertions.Expect(Rows(page)).ToHaveCountAsync(1);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task On_a_phone_the_filters_open_in_a_drawer_and_a_choice_there_narrows_the_list()
    {
        var ds = await browser.App.CreateUserAsync(Roles.DataScientist);
        var reviewer = await browser.App.CreateUserAsync(Roles.Reviewer);
        var task = await SeedAsync(ds, reviewer);

        var page = await browser.NewPageAsync(browser.BaseUrl, Phone);
        try
        {
            await BrowserFixture.SignInAsync(page, ds);
            await page.GotoAsync($"/models?task={task}");
            await BrowserFixture.WaitForCircuitAsync(page);
            await Assertions.Expect(Rows(page)).ToHaveCountAsync(3);
            await Assertions.Expect(page.Locator("aside.facet-sidebar")).Not.ToBeVisibleAsync();

            await page.GetByRole(AriaRole.Button, new() { Name = "Filters (1)" }).ClickAsync();
            var drawer = page.Locator(".facet-drawer");
            await Assertions.Expect(drawer).ToBeVisibleAsync();
            await Assertions.Expect(FacetValue(drawer, "license", "mit").Locator(".facet-count")).ToHaveTextAsync("2");
            // The whole drawer is on the screen: its close button and the counts at its right edge.
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Close filters" })).ToBeInViewportAsync(new() { Ratio = 1 });
            await Assertions.Expect(FacetValue(drawer, "license", "mit").Locator(".facet-count")).ToBeInViewportAsync(new() { Ratio = 1 });
            await page.WaitForTimeoutAsync(400); // the slide-in transition (MudBlazor's 225 ms) is over
            var box = await drawer.BoundingBoxAsync();
            Assert.True(box is not null && box.X >= 0 && box.X + box.Width <= Phone.Width + 1, $"the drawer spans {box?.X}–{box?.X + box?.Width} px");
            var width = await page.EvaluateAsync<int[]>("() => [document.scrollingElement.scrollWidth, window.innerWidth]");
            Assert.True(width[0] <= width[1], $"the page is {width[0]} px wide on a {width[1]} px phone with the filters open");
            await BrowserFixture.ScreenshotAsync(page, "facets/390x844-drawer");

            await FacetValue(drawer, "license", "apache-2.0").ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("license=apache-2.0"));
            await Assertions.Expect(Rows(page)).ToHaveCountAsync(1);
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Filters (2)" })).ToBeVisibleAsync();
            await BrowserFixture.ScreenshotAsync(page, "facets/390x844-chosen");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
