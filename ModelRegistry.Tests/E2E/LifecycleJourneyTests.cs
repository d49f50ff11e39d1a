using Microsoft.Playwright;
using ModelRegistry.Core.Deployments;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>Stage changes and deployments as people meet them in the dashboard.</summary>
[Collection(BrowserCollection.Name)]
public sealed class LifecycleJourneyTests(BrowserFixture browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private RegistryApp App => browser.App;

    private async Task<string> ModelAsync(TestUser owner, string prefix, string displayName, int versions)
    {
        var name = LifecycleAppExtensions.Unique(prefix);
        await App.Get<ModelService>().CreateAsync(owner.Actor, new CreateModel(name, displayName,
            "Answers customer questions about our products.", "text-generation", ["chat"]), Ct);
        for (var i = 1; i <= versions; i++)
        {
            await App.CreateVersionAsync(owner, name, new VersionInput(
                Source: $"https://ci.example.com/training/{name}/runs/{100 + i}", BaseModel: "meta-llama/Llama-3.1-8B-Instruct",
                ParameterCount: 8_030_261_248, ContextLength: 131_072, Format: WeightFormat.Safetensors, ParentVersion: i > 1 ? i - 1 : null));
        }

        return name;
    }

    [Fact]
    public async Task Data_scientist_requests_production_and_a_reviewer_approves_it_from_the_approvals_queue()
    {
        var ds = await App.CreateUserAsync(Roles.DataScientist);
        var reviewer = await App.CreateUserAsync(Roles.Reviewer);
        var setupReviewer = await App.CreateUserAsync(Roles.Reviewer);
        var model = await ModelAsync(ds, "e2e-life", "Support assistant", versions: 2);
        await App.PromoteAsync(ds, setupReviewer, model, 1, Stage.Production);

        // The data scientist asks for version 2 to go to Production.
        var dsPage = await browser.NewPageAsync(ds);
        await dsPage.GotoAsync($"/models/{model}/versions/2?tab=lifecycle");
        await BrowserFixture.WaitForCircuitAsync(dsPage);
        await dsPage.GetByRole(AriaRole.Button, new() { Name = "Request transition" }).ClickAsync();
        var dialog = dsPage.GetByRole(AriaRole.Dialog);
        await dialog.GetByRole(AriaRole.Radio, new() { Name = "Production" }).CheckAsync();
        await Assertions.Expect(dialog).ToContainTextAsync("Version 1 is in Production now; approving this request archives it.");
        await Assertions.Expect(dialog).ToContainTextAsync("No policy gates apply to Production.");
        await dialog.GetByLabel("Justification").FillAsync("Resolves 4 % more tickets than v1 on the November hold-out set; latency unchanged.");
        await BrowserFixture.ScreenshotAsync(dsPage, "lifecycle-request-dialog");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Submit request" }).ClickAsync();
        var open = dsPage.GetByLabel("Open request");
        await Assertions.Expect(open).ToContainTextAsync("Resolves 4 % more tickets");
        await Assertions.Expect(open.GetByRole(AriaRole.Button, new() { Name = "Cancel request" })).ToBeVisibleAsync();
        Assert.Equal(0, await open.GetByRole(AriaRole.Button, new() { Name = "Approve" }).CountAsync());
        await BrowserFixture.ScreenshotAsync(dsPage, "lifecycle-tab-open-request");

        // A reviewer finds it in the queue and approves it with a comment.
        var reviewerPage = await browser.NewPageAsync(reviewer);
        await reviewerPage.GotoAsync("/approvals");
        await BrowserFixture.WaitForCircuitAsync(reviewerPage);
        var row = reviewerPage.GetByRole(AriaRole.Row).Filter(new() { HasText = $"{model} v2" });
        await Assertions.Expect(row).ToContainTextAsync(ds.Email);
        await Assertions.Expect(row).ToContainTextAsync("No gates");
        await BrowserFixture.ScreenshotAsync(reviewerPage, "approvals-queue");
        await row.GetByRole(AriaRole.Button, new() { Name = $"Review {model} v2" }).ClickAsync();
        var review = reviewerPage.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(review).ToContainTextAsync("replaces v1 in Production");
        await review.GetByLabel("Comment (required to reject)").FillAsync("Checked the eval report; ship it.");
        await BrowserFixture.ScreenshotAsync(reviewerPage, "approvals-review-dialog");
        await review.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await Assertions.Expect(reviewerPage.GetByText($"Approved: {model} v2 is now in Production.")).ToBeVisibleAsync();
        await Assertions.Expect(reviewerPage.GetByRole(AriaRole.Row).Filter(new() { HasText = $"{model} v2" })).ToHaveCountAsync(0);

        // The decided request is browsable.
        await reviewerPage.GetByRole(AriaRole.Tab, new() { Name = "Decided" }).ClickAsync();
        // The tab replaces the address in place (no page load to wait for): poll the address instead.
        await Assertions.Expect(reviewerPage).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"/approvals\?view=decided$"));
        var decided = reviewerPage.GetByLabel("Decided requests").GetByRole(AriaRole.Row).Filter(new() { HasText = $"{model} v2" });
        await Assertions.Expect(decided).ToContainTextAsync("Approved");
        await Assertions.Expect(decided).ToContainTextAsync("Checked the eval report; ship it.");

        // The previous Production version now shows as Archived; the new one as Production.
        await reviewerPage.GotoAsync($"/models/{model}/versions/1");
        await BrowserFixture.WaitForCircuitAsync(reviewerPage);
        await Assertions.Expect(reviewerPage.Locator(".page-header .stage-chip")).ToHaveTextAsync("Archived");
        await reviewerPage.GotoAsync($"/models/{model}?tab=versions");
        await BrowserFixture.WaitForCircuitAsync(reviewerPage);
        var versions = reviewerPage.GetByRole(AriaRole.Table);
        ILocator VersionRow(string v) =>
            versions.GetByRole(AriaRole.Row).Filter(new() { Has = reviewerPage.GetByRole(AriaRole.Link, new() { Name = v, Exact = true }) });
        await Assertions.Expect(VersionRow("v1")).ToContainTextAsync("Archived");
        await Assertions.Expect(VersionRow("v2")).ToContainTextAsync("Production");

        // The data scientist is told: a badge in the app bar, and the history on the Lifecycle tab.
        await dsPage.GotoAsync($"/models/{model}/versions/2?tab=lifecycle");
        await BrowserFixture.WaitForCircuitAsync(dsPage);
        await Assertions.Expect(dsPage.GetByRole(AriaRole.Button, new() { Name = "Notifications, 2 unread" })).ToBeVisibleAsync();
        await Assertions.Expect(dsPage.Locator(".page-header .stage-chip")).ToHaveTextAsync("Production");
        var history = dsPage.GetByLabel("Stage history");
        await Assertions.Expect(history).ToContainTextAsync(reviewer.Email);
        await Assertions.Expect(dsPage.GetByLabel("Past requests")).ToContainTextAsync("Checked the eval report; ship it.");
        await BrowserFixture.ScreenshotAsync(dsPage, "lifecycle-tab");
        await dsPage.GetByRole(AriaRole.Button, new() { Name = "Notifications, 2 unread" }).ClickAsync();
        await Assertions.Expect(dsPage.GetByText($"approved your request to move {model} v2 to Production")).ToBeVisibleAsync();
        await dsPage.WaitForTimeoutAsync(500); // the menu fades in
        await BrowserFixture.ScreenshotAsync(dsPage, "notifications");
        await dsPage.GetByRole(AriaRole.Button, new() { Name = "Mark all read" }).ClickAsync();
        await dsPage.Keyboard.PressAsync("Escape");
        await Assertions.Expect(dsPage.GetByRole(AriaRole.Button, new() { Name = "Notifications", Exact = true })).ToBeVisibleAsync();

        await dsPage.Context.CloseAsync();
        await reviewerPage.Context.CloseAsync();
    }

    [Fact]
    public async Task Reviewer_home_shows_requests_awaiting_review_and_a_reviewer_cannot_review_their_own()
    {
        var ds = await App.CreateUserAsync(Roles.DataScientist);
        var reviewer = await App.CreateUserAsync(Roles.Reviewer, Roles.DataScientist);
        var mine = await ModelAsync(reviewer, "e2e-home-own", "Contract summarizer", versions: 1);
        var theirs = await ModelAsync(ds, "e2e-home", "Ticket router", versions: 1);
        await App.RequestAsync(reviewer, mine, 1, Stage.Staging, "My own change.");
        await App.RequestAsync(ds, theirs, 1, Stage.Staging, "Routes 12 % more tickets correctly.");

        var page = await browser.NewPageAsync(reviewer);
        var awaiting = page.GetByRole(AriaRole.List, new() { Name = "Awaiting my review" });
        await Assertions.Expect(awaiting).ToContainTextAsync($"{theirs} v1");
        await Assertions.Expect(awaiting).Not.ToContainTextAsync(mine);
        await Assertions.Expect(page.GetByRole(AriaRole.List, new() { Name = "My open requests" })).ToContainTextAsync($"{mine} v1");
        await BrowserFixture.ScreenshotAsync(page, "home-reviewer");

        await page.GotoAsync($"/approvals?model={mine}");
        await BrowserFixture.WaitForCircuitAsync(page);
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = $"{mine} v1" });
        await row.GetByRole(AriaRole.Button, new() { Name = $"Open {mine} v1" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(dialog).ToContainTextAsync("You made this request, so another reviewer must decide it.");
        Assert.Equal(0, await dialog.GetByRole(AriaRole.Button, new() { Name = "Approve" }).CountAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Deployments_page_shows_a_timeline_per_environment_with_what_is_live()
    {
        var ds = await App.CreateUserAsync(Roles.DataScientist);
        var reviewer = await App.CreateUserAsync(Roles.Reviewer);
        var chat = await ModelAsync(ds, "e2e-dep-chat", "Support assistant", versions: 2);
        var router = await ModelAsync(ds, "e2e-dep-router", "Ticket router", versions: 1);
        await App.PromoteAsync(ds, reviewer, chat, 1, Stage.Production);
        await App.PromoteAsync(ds, reviewer, router, 1, Stage.Staging);
        var deployments = App.Get<DeploymentService>();
        var env = LifecycleAppExtensions.Unique("prod");
        var staging = LifecycleAppExtensions.Unique("staging");
        await deployments.RecordAsync(ds.Actor, chat, 1, new DeploymentInput(env, DeploymentStatus.Deployed, "https://llm.example.com/chat",
            "https://ci.example.com/pipelines/4711", "Blue/green switch at 09:00."), Ct);
        await deployments.RecordAsync(ds.Actor, router, 1, new DeploymentInput(staging, DeploymentStatus.Failed, "k8s/staging/router",
            "https://ci.example.com/pipelines/4712", "Readiness probe timed out."), Ct);
        await deployments.RecordAsync(ds.Actor, router, 1, new DeploymentInput(staging, DeploymentStatus.Deployed, "k8s/staging/router",
            "https://ci.example.com/pipelines/4713"), Ct);
        await App.PromoteAsync(ds, reviewer, chat, 2, Stage.Production);
        await deployments.RecordAsync(ds.Actor, chat, 2, new DeploymentInput(env, DeploymentStatus.Deployed, "https://llm.example.com/chat",
            "https://ci.example.com/pipelines/4720"), Ct);
        await deployments.RecordAsync(ds.Actor, chat, 1, new DeploymentInput(env, DeploymentStatus.Retired, "https://llm.example.com/chat",
            "https://ci.example.com/pipelines/4721", "Drained after v2 took all traffic."), Ct);

        var viewer = await App.CreateUserAsync();
        var page = await browser.NewPageAsync(viewer);
        await page.GetByRole(AriaRole.Link, new() { Name = "Deployments" }).ClickAsync();
        await page.WaitForURLAsync("**/deployments");
        var prod = page.GetByLabel($"Environment {env}");
        await Assertions.Expect(prod).ToContainTextAsync("3 records");
        await Assertions.Expect(prod.Locator(".live-now")).ToContainTextAsync($"{chat} v2");
        await Assertions.Expect(prod.Locator(".live-now")).Not.ToContainTextAsync($"{chat} v1");
        await Assertions.Expect(prod).ToContainTextAsync("Retired");
        await Assertions.Expect(page.GetByLabel($"Environment {staging}").Locator(".live-now")).ToContainTextAsync($"{router} v1");
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Record deployment" }).CountAsync());
        await BrowserFixture.ScreenshotAsync(page, "deployments");

        await page.GotoAsync($"/deployments?model={chat}");
        await BrowserFixture.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByLabel($"Environment {staging}")).ToHaveCountAsync(0);
        await page.GotoAsync($"/models/{chat}/versions/2?tab=deployments");
        await BrowserFixture.WaitForCircuitAsync(page);
        var table = page.GetByLabel("Deployments of this version");
        await Assertions.Expect(table).ToContainTextAsync(env);
        await BrowserFixture.ScreenshotAsync(page, "version-deployments-tab");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Data_scientist_records_a_deployment_from_the_version_page()
    {
        var ds = await App.CreateUserAsync(Roles.DataScientist);
        var reviewer = await App.CreateUserAsync(Roles.Reviewer);
        var model = await ModelAsync(ds, "e2e-record", "Search embeddings", versions: 1);
        await App.PromoteAsync(ds, reviewer, model, 1, Stage.Staging);
        var env = LifecycleAppExtensions.Unique("canary");

        var page = await browser.NewPageAsync(ds);
        await page.GotoAsync($"/models/{model}/versions/1?tab=deployments");
        await BrowserFixture.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByText("Not deployed anywhere yet")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Record deployment" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Environment").FillAsync(env);
        await dialog.GetByLabel("External reference").FillAsync("https://ci.example.com/pipelines/99");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Record" }).ClickAsync();

        var table = page.GetByLabel("Deployments of this version");
        await Assertions.Expect(table).ToContainTextAsync(env);
        await Assertions.Expect(table).ToContainTextAsync("Deployed");
        Assert.Equal(1, (await App.Get<DeploymentService>().ListAsync(new DeploymentQuery(env), Ct)).Total);
        await page.Context.CloseAsync();
    }
}
