using Microsoft.Playwright;
using ModelRegistry.Core.Aliases;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>Aliases in the browser: set on the version page, shown beside the stage in the versions table, followed by address.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AliasJourneyTests(BrowserFixture browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_data_scientist_sets_an_alias_sees_it_beside_the_stage_and_opens_the_version_by_it()
    {
        var ds = await browser.App.CreateUserAsync(Roles.DataScientist);
        var reviewer = await browser.App.CreateUserAsync(Roles.Reviewer);
        var model = LifecycleAppExtensions.Unique("alias-e2e");
        await browser.App.ModelWithVersionsAsync(ds, model, 3);
        await browser.App.PromoteAsync(ds, reviewer, model, 2, Stage.Staging);
        await browser.App.Get<AliasService>().SetAsync(ds.Actor, model, "baseline", 1, Ct);
        var page = await browser.NewPageAsync(ds);

        await page.GotoAsync($"/models/{model}/versions/2");
        await BrowserFixture.WaitForCircuitAsync(page);
        var aliases = page.GetByRole(AriaRole.Region, new() { Name = "Aliases" });
        await aliases.GetByLabel("New alias").FillAsync("champion");
        await aliases.GetByRole(AriaRole.Button, new() { Name = "Set alias" }).ClickAsync();
        await Assertions.Expect(aliases.Locator(".alias-chip[data-alias=champion]")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "alias-panel");

        await page.GotoAsync($"/models/{model}?tab=versions");
        await BrowserFixture.WaitForCircuitAsync(page);
        var row = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Link, new() { Name = "v2", Exact = true }) });
        var stageCell = row.Locator("td[data-label=Stage]");
        await Assertions.Expect(stageCell.Locator(".stage-chip")).ToHaveTextAsync("Staging");
        await Assertions.Expect(stageCell.Locator(".alias-chip")).ToHaveTextAsync(["champion"]);
        var first = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Link, new() { Name = "v1", Exact = true }) });
        await Assertions.Expect(first.Locator("td[data-label=Stage] .alias-chip")).ToHaveTextAsync(["baseline"]);
        await Assertions.Expect(page.GetByRole(AriaRole.List, new() { Name = "Activity" })).ToContainTextAsync("pointed an alias at v2 champion");
        await BrowserFixture.ScreenshotAsync(page, "alias-chips");

        await page.GotoAsync($"/models/{model}/compare?versions=1,2,3");
        await Assertions.Expect(page.Locator("tr:has(th:text-is('Aliases')) td")).ToHaveTextAsync(["baseline", "champion", "—"]);

        await page.GotoAsync($"/models/{model}/versions/champion");
        await page.WaitForURLAsync($"**/models/{model}/versions/2");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("v2");
        await page.Context.CloseAsync();
    }
}
