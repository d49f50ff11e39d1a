using Microsoft.Playwright;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

[Collection(BrowserCollection.Name)]
public sealed class AuditLogPageTests(BrowserFixture browser)
{
    [Fact]
    public async Task Auditor_filters_the_log_verifies_the_chain_and_finds_nothing_to_edit()
    {
        var ds = await browser.App.CreateUserAsync(Roles.DataScientist);
        var name = $"audit-{Guid.NewGuid():N}"[..14];
        await browser.App.RegisterModelAsync(ds, name);
        await browser.App.CreateVersionAsync(ds, name);
        var auditor = await browser.App.CreateUserAsync(Roles.Auditor);
        var page = await browser.NewPageAsync(auditor);

        await page.GotoAsync($"/audit?model={name}");
        await BrowserFixture.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByText("2 events")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Cell, new() { Name = "version.created" })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Verify chain" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "is intact" })).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "audit-log");

        await page.GotoAsync($"/models/{name}");
        await BrowserFixture.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "New version" })).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Edit" })).ToHaveCountAsync(0);
        await page.Context.CloseAsync();

        var dsPage = await browser.NewPageAsync(ds);
        await dsPage.GotoAsync("/audit");
        await Assertions.Expect(dsPage.GetByText("You don't have a role that allows this page")).ToBeVisibleAsync();
        await dsPage.Context.CloseAsync();
    }

    [Fact]
    public async Task Auditor_verifies_against_a_kept_head_and_a_log_that_ends_before_it_is_reported_cut()
    {
        var page = await browser.NewPageAsync(await browser.App.CreateUserAsync(Roles.Auditor));
        await page.GotoAsync("/audit");
        await BrowserFixture.WaitForCircuitAsync(page);
        var head = (await browser.App.Get<AuditLogService>().VerifyAsync(Actor.CommandLine, TestContext.Current.CancellationToken)).Head;
        var keptHead = page.GetByLabel("Kept head (optional)");
        var verify = page.GetByRole(AriaRole.Button, new() { Name = "Verify chain" });

        await keptHead.FillAsync(head.ToString());
        await verify.ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = $"still holds the kept head, event {head.Sequence}" }))
            .ToBeVisibleAsync();

        // A head from a future this log does not reach: what a log cut short after the head was kept looks like.
        await keptHead.FillAsync($"{head.Sequence + 5}:{head.Hash}");
        await verify.ClickAsync();
        var cut = page.GetByRole(AriaRole.Status).Filter(new() { HasText = "newest events were removed" });
        await Assertions.Expect(cut).ToBeVisibleAsync();
        await Assertions.Expect(cut).ToContainTextAsync($"Chain head: event {head.Sequence}, {head.Hash}");
        await BrowserFixture.ScreenshotAsync(page, "audit-log-kept-head");

        await keptHead.FillAsync("yesterday's head");
        await verify.ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "head must be SEQUENCE:HASH" })).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_long_filtered_log_shows_a_bounded_count_pages_on_and_counts_all_on_request()
    {
        var ds = await browser.App.CreateUserAsync(Roles.DataScientist);
        var name = $"busy-{Guid.NewGuid():N}"[..14];
        await browser.App.RecordEventsAsync(ds.Actor, name, "busy", 1030);
        var page = await browser.NewPageAsync(await browser.App.CreateUserAsync(Roles.Auditor));

        await page.GotoAsync($"/audit?model={name}");
        await BrowserFixture.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByText("1,000+ events")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".audit-value").GetByText("busy revision 1029", new() { Exact = true })).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "audit-log-bounded");

        // The pager offers the page past the counted ones; that page knows the exact total.
        await page.GetByRole(AriaRole.Button, new() { Name = "Page 21" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("page=21"));
        await Assertions.Expect(page.GetByText("1,030 events")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".audit-value").GetByText("busy revision 0", new() { Exact = true })).ToBeVisibleAsync();

        await page.GotoAsync($"/audit?model={name}");
        await BrowserFixture.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Count all" }).ClickAsync();
        await Assertions.Expect(page.GetByText("1,030 events")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "audit-log-counted");
        await page.Context.CloseAsync();
    }
}
