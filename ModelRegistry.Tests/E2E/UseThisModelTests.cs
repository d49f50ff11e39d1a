using Microsoft.Playwright;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>"Use this model" in the browser: a viewer opens it on a model page and reads a vLLM command for this very registry.</summary>
[Collection(BrowserCollection.Name)]
public sealed class UseThisModelTests(BrowserFixture browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_viewer_opens_use_this_model_and_reads_the_vLLM_command_for_production_then_pins_it()
    {
        var ds = await browser.App.CreateUserAsync(Roles.DataScientist);
        var reviewer = await browser.App.CreateUserAsync(Roles.Reviewer);
        var viewer = await browser.App.CreateUserAsync();
        var model = LifecycleAppExtensions.Unique("use-e2e");
        await browser.App.RegisterModelAsync(ds, model, task: "text-generation");
        await browser.App.CreateVersionAsync(ds, model, new VersionInput(Format: WeightFormat.Safetensors));
        await browser.App.UploadAsync(ds, model, 1, "config.json", """{"architectures":["LlamaForCausalLM"]}"""u8.ToArray());
        await browser.App.PromoteAsync(ds, reviewer, model, 1, Stage.Production);
        var commit = (await browser.App.Get<VersionService>().GetAsync(model, 1, Ct)).Commit;
        var page = await browser.NewPageAsync(viewer);

        await page.GotoAsync($"/models/{model}");
        await BrowserFixture.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Use this model" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByRole(AriaRole.Tab, new() { Name = "vLLM" }).ClickAsync();
        var vllm = dialog.GetByLabel("vLLM snippet", new() { Exact = true });

        await Assertions.Expect(vllm).ToHaveTextAsync(
            $"HF_ENDPOINT={browser.BaseUrl}/hf HF_TOKEN=\"hf_$REGISTRY_TOKEN\" \\\n  vllm serve registry/{model} --revision production");
        await Assertions.Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Copy the vLLM snippet" })).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "use-this-model");

        await dialog.GetByText("Pin to commit").ClickAsync();

        await Assertions.Expect(vllm).ToContainTextAsync($"--revision {commit}");
        await BrowserFixture.ScreenshotAsync(page, "use-this-model-pinned");
        await page.Context.CloseAsync();
    }
}
