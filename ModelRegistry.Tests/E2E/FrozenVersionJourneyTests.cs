using Microsoft.Playwright;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>Approved means frozen, as people meet it in the dashboard: the locked version page, the next version made
/// from it, and a reviewer who sees what changed under review.</summary>
[Collection(BrowserCollection.Name)]
public sealed class FrozenVersionJourneyTests(BrowserFixture browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private RegistryApp App => browser.App;

    [Fact]
    public async Task A_frozen_version_shows_no_edit_controls_and_the_next_version_is_made_from_it()
    {
        var ds = await App.CreateUserAsync(Roles.DataScientist);
        var reviewer = await App.CreateUserAsync(Roles.Reviewer);
        var model = LifecycleAppExtensions.Unique("e2e-frozen");
        await App.RegisterModelAsync(ds, model);
        await App.CreateVersionAsync(ds, model, new VersionInput(Description: "The approved one.", License: "apache-2.0"));
        await App.UploadAsync(ds, model, 1, "model.safetensors", ModelFiles.Safetensors([("w", "F16", [2, 2])]));
        await App.Get<CardService>().SaveAsync(ds.Actor, model, 1, "# Support bot\n\nApproved card.", null, Ct);
        var approved = await App.PromoteAsync(ds, reviewer, model, 1, Stage.Staging);
        var frozen = await App.Get<VersionService>().GetAsync(model, 1, Ct);

        var page = await browser.NewPageAsync(ds);
        await page.GotoAsync($"/models/{model}/versions/1");
        await BrowserFixture.WaitForCircuitAsync(page);

        var banner = page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Frozen since" });
        await Assertions.Expect(banner).ToContainTextAsync($"request #{approved.Id} was approved");
        await Assertions.Expect(banner).ToContainTextAsync("Create a new version to change it.");
        await Assertions.Expect(page.Locator($"[data-digest='{frozen.Digest}']")).ToHaveTextAsync(VersionManifest.ShortDigest(frozen.Digest));
        await Assertions.Expect(page.GetByLabel("Commit")).ToHaveTextAsync(frozen.Commit);
        Assert.Equal(0, await page.GetByRole(AriaRole.Link, new() { Name = "Edit", Exact = true }).CountAsync());
        await BrowserFixture.ScreenshotAsync(page, "frozen-version-overview");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Files" }).ClickAsync();
        await Assertions.Expect(page.Locator(".file-name .mono", new() { HasText = "model.safetensors" })).ToBeVisibleAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Region, new() { Name = "Upload files" }).CountAsync());
        await page.GetByRole(AriaRole.Tab, new() { Name = "Model card" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Approved card.")).ToBeVisibleAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Edit card" }).CountAsync());

        await banner.GetByRole(AriaRole.Button, new() { Name = "Create next version from v1" }).ClickAsync();
        await page.WaitForURLAsync($"**/models/{model}/versions/2");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Edit", Exact = true })).ToBeVisibleAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Frozen since" }).CountAsync());
        await page.GetByRole(AriaRole.Tab, new() { Name = "Overview" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Version 1" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Tab, new() { Name = "Files" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "Upload files" })).ToBeVisibleAsync();
        var copy = await App.Get<VersionService>().GetAsync(model, 2, Ct);
        Assert.Equal("apache-2.0", copy.License);
        Assert.False(copy.Frozen);
        Assert.Single(await App.Get<ModelRegistry.Core.Artifacts.ArtifactService>().ListAsync(model, 2, Ct));
    }

    [Fact]
    public async Task A_reviewer_sees_what_changed_under_review_and_cannot_approve_content_they_did_not_see()
    {
        var ds = await App.CreateUserAsync(Roles.DataScientist);
        var reviewer = await App.CreateUserAsync(Roles.Reviewer);
        var setupReviewer = await App.CreateUserAsync(Roles.Reviewer);
        var model = LifecycleAppExtensions.Unique("e2e-review");
        await App.RegisterModelAsync(ds, model);
        await App.CreateVersionAsync(ds, model, new VersionInput(License: "apache-2.0", ContextLength: 8192));
        await App.PromoteAsync(ds, setupReviewer, model, 1, Stage.Production);
        await App.CreateVersionAsync(ds, model, new VersionInput(CopyFrom: 1, ContextLength: 131072));
        var request = await App.RequestAsync(ds, model, 2, Stage.Production, "Longer context.");

        var page = await browser.NewPageAsync(reviewer);
        await page.GotoAsync($"/models/{model}/versions/2?tab=lifecycle");
        await BrowserFixture.WaitForCircuitAsync(page);
        var open = page.GetByLabel("Open request");
        var evidence = open.GetByLabel("What you are approving");
        await Assertions.Expect(evidence).ToContainTextAsync(VersionManifest.ShortDigest(request.Digest));
        var fromProduction = evidence.GetByLabel("Differences from v1 in Production");
        await Assertions.Expect(fromProduction.GetByRole(AriaRole.Row).Filter(new() { HasText = "contextLength" })).ToContainTextAsync("8192");
        await Assertions.Expect(fromProduction.GetByRole(AriaRole.Row).Filter(new() { HasText = "contextLength" })).ToContainTextAsync("131072");

        // The data scientist changes the licence while the reviewer has the page open.
        await App.Get<VersionService>().UpdateAsync(ds.Actor, model, 2, new VersionInput(License: "mit"), Ct);
        await open.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();

        await Assertions.Expect(open.GetByRole(AriaRole.Alert)).ToContainTextAsync("changed while you were reviewing it, so nothing was approved");
        await Assertions.Expect(evidence).ToContainTextAsync("Changed since the request was made");
        var since = evidence.GetByLabel("Changes since the request");
        await Assertions.Expect(since.GetByRole(AriaRole.Row).Filter(new() { HasText = "license" })).ToContainTextAsync("mit");
        await BrowserFixture.ScreenshotAsync(page, "review-changed-under-review");
        Assert.Equal(Stage.None, await App.StageOfAsync(model, 2));

        // Approving again approves what is shown now.
        await open.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await Assertions.Expect(page.GetByText($"Approved: {model} v2 is now in Production.")).ToBeVisibleAsync();
        var version = await App.Get<VersionService>().GetAsync(model, 2, Ct);
        Assert.True(version.Frozen);
        Assert.Equal("mit", version.License);
    }
}
