using Microsoft.Playwright;
using ModelRegistry.Core.Deployments;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>The version page's Lineage tab (a Cytoscape.js graph whose nodes open pages) and the Files tab's header viewer.</summary>
[Collection(BrowserCollection.Name)]
public sealed class LineageAndHeaderViewerTests(BrowserFixture browser)
{
    private RegistryApp App => browser.App;

    private async Task<(TestUser Ds, string Model)> ModelWithLineageAsync()
    {
        var ds = await App.CreateUserAsync(Roles.DataScientist);
        var reviewer = await App.CreateUserAsync(Roles.Reviewer);
        var model = $"e2e-lin-{Guid.NewGuid():N}"[..16];
        await App.RegisterModelAsync(ds, model);
        await App.CreateVersionAsync(ds, model, new VersionInput(BaseModel: "meta-llama/Llama-3.1-8B"));
        await App.CreateVersionAsync(ds, model, new VersionInput(BaseModel: "meta-llama/Llama-3.1-8B", ParentVersion: 1,
            Datasets: [new DatasetInfo("support-tickets", "2026-02", Split: "train"), new DatasetInfo("held-out", Split: "test")]));
        await App.UploadAsync(ds, model, 2, "gguf/tiny.Q8_0.gguf", GgufBuilder.Llama().Build());
        await App.UploadAsync(ds, model, 2, "config.json", ModelFiles.Config(contextLength: 8192));
        await App.PromoteAsync(ds, reviewer, model, 2, Stage.Staging);
        await App.Get<DeploymentService>().RecordAsync(ds.Actor, model, 2, new DeploymentInput("staging"), TestContext.Current.CancellationToken);
        return (ds, model);
    }

    [Fact]
    public async Task Lineage_tab_draws_the_graph_and_a_click_on_a_node_opens_it()
    {
        var (ds, model) = await ModelWithLineageAsync();
        var page = await browser.NewPageAsync(ds);
        try
        {
            await page.SetViewportSizeAsync(1366, 768);
            await page.GotoAsync($"/models/{model}/versions/2?tab=lineage");
            await BrowserFixture.WaitForCircuitAsync(page);
            var canvas = page.Locator(".lineage-canvas");
            await Assertions.Expect(canvas).ToHaveAttributeAsync("data-nodes", "6"); // base, v1, v2, two data sets, staging
            Assert.True(await canvas.Locator("canvas").CountAsync() > 0);
            await Assertions.Expect(page.Locator(".lineage-table tbody tr")).ToHaveCountAsync(5);
            Assert.Empty(await Axe.SeriousViolationsAsync(page));
            await page.WaitForTimeoutAsync(300);
            await BrowserFixture.ScreenshotAsync(page, "lineage-1366x768");
            await page.SetViewportSizeAsync(390, 844);
            await page.WaitForTimeoutAsync(400);
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), "no sideways scrolling at 390 px");
            await BrowserFixture.ScreenshotAsync(page, "lineage-390x844");
            await page.SetViewportSizeAsync(1366, 768);
            await page.WaitForTimeoutAsync(400);

            // A click on v1's box (on the canvas) opens version 1.
            var id = await page.EvaluateAsync<string>("() => 'n1'"); // Core numbers nodes in order: n0 base model, n1 = v1
            var box = (await canvas.BoundingBoxAsync())!;
            var at = await canvas.EvaluateAsync<Dictionary<string, double>>($"e => e.lineagePositionOf('{id}')");
            await page.Mouse.ClickAsync((float)(box.X + at["x"]), (float)(box.Y + at["y"]));
            await page.WaitForURLAsync($"**/models/{model}/versions/1");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Files_tab_shows_folders_and_a_gguf_header_viewer_lists_tensors_and_metadata()
    {
        var (ds, model) = await ModelWithLineageAsync();
        var page = await browser.NewPageAsync(ds);
        try
        {
            await page.SetViewportSizeAsync(1366, 768);
            await page.GotoAsync($"/models/{model}/versions/2?tab=files");
            await BrowserFixture.WaitForCircuitAsync(page);
            var folder = page.GetByRole(AriaRole.Button, new() { Name = "gguf/", Exact = true });
            await Assertions.Expect(folder).ToHaveAttributeAsync("aria-expanded", "true");
            var link = page.GetByRole(AriaRole.Link, new() { Name = "tiny.Q8_0.gguf", Exact = true });
            await Assertions.Expect(link).ToBeVisibleAsync();
            await folder.ClickAsync();
            await Assertions.Expect(link).ToHaveCountAsync(0);
            await folder.ClickAsync();
            await BrowserFixture.ScreenshotAsync(page, "files-tree-1366x768");
            await link.ClickAsync();

            await page.WaitForURLAsync($"**/models/{model}/versions/2/files/gguf/tiny.Q8_0.gguf");
            var tensors = page.Locator(".tensor-table");
            await Assertions.Expect(tensors.GetByRole(AriaRole.Row).Filter(new() { HasText = "token_embd.weight" })).ToContainTextAsync("Q8_0");
            await Assertions.Expect(tensors.GetByRole(AriaRole.Row).Filter(new() { HasText = "output_norm.weight" })).ToContainTextAsync("[64]");
            await Assertions.Expect(page.GetByText("architecture llama")).ToBeVisibleAsync();
            Assert.Empty(await Axe.SeriousViolationsAsync(page));
            await BrowserFixture.ScreenshotAsync(page, "header-viewer-1366x768");
            await page.GetByRole(AriaRole.Tab, new() { Name = "Metadata (7)" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "tokenizer.ggml.tokens" })).ToContainTextAsync("[3 × string]");
            await page.SetViewportSizeAsync(390, 844);
            await page.WaitForTimeoutAsync(400);
            await BrowserFixture.ScreenshotAsync(page, "header-viewer-390x844");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
