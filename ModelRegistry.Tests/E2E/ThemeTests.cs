using Microsoft.Playwright;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

[Collection(BrowserCollection.Name)]
public sealed class ThemeTests(BrowserFixture browser)
{
    private const string DarkBackground = "rgb(18, 20, 28)"; // RegistryTheme.PaletteDark.Background

    private static Task<string> BackgroundAsync(IPage page) =>
        page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");

    private async Task SeedSomeModelsAsync()
    {
        var ds = await browser.App.CreateUserAsync(Roles.DataScientist);
        var models = browser.App.Get<ModelService>();
        var versions = browser.App.Get<VersionService>();
        var ct = TestContext.Current.CancellationToken;
        var suffix = Guid.NewGuid().ToString("N")[..6];
        await models.CreateAsync(ds.Actor, new CreateModel($"support-assistant-{suffix}", "Support assistant",
            "Answers customer questions from the help centre.", "text-generation", ["chat", "support"]), ct);
        await versions.CreateAsync(ds.Actor, $"support-assistant-{suffix}",
            new VersionInput(BaseModel: "meta-llama/Llama-3.1-8B-Instruct", ParameterCount: 8_030_261_248, Format: WeightFormat.Safetensors), ct);
        await models.CreateAsync(ds.Actor, new CreateModel($"doc-embedder-{suffix}", "Document embedder",
            "Embeds documents for retrieval.", "embeddings", ["rag"]), ct);
    }

    [Fact]
    public async Task Dark_theme_toggle_switches_the_palette_and_survives_a_reload()
    {
        await SeedSomeModelsAsync();
        var user = await browser.App.CreateUserAsync(Roles.DataScientist);
        var page = await browser.NewPageAsync(user);
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Home", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Support assistant").First).ToBeVisibleAsync();
        var light = await BackgroundAsync(page);
        Assert.NotEqual(DarkBackground, light);
        await BrowserFixture.ScreenshotAsync(page, "home");

        var toggle = page.GetByRole(AriaRole.Button, new() { Name = "Dark theme" });
        await Assertions.Expect(toggle).ToHaveAttributeAsync("aria-pressed", "false");
        await toggle.ClickAsync();
        await page.WaitForFunctionAsync($"() => getComputedStyle(document.body).backgroundColor === '{DarkBackground}'");
        await Assertions.Expect(toggle).ToHaveAttributeAsync("aria-pressed", "true");
        await BrowserFixture.ScreenshotAsync(page, "home-dark");

        await page.ReloadAsync();
        await BrowserFixture.WaitForCircuitAsync(page);
        await page.WaitForFunctionAsync($"() => getComputedStyle(document.body).backgroundColor === '{DarkBackground}'");
        await page.GotoAsync("/models");
        await BrowserFixture.WaitForCircuitAsync(page);
        await page.WaitForFunctionAsync($"() => getComputedStyle(document.body).backgroundColor === '{DarkBackground}'");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Support assistant" }).First).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "models-dark");

        await page.GetByRole(AriaRole.Button, new() { Name = "Dark theme" }).ClickAsync();
        await page.WaitForFunctionAsync($"() => getComputedStyle(document.body).backgroundColor === '{light}'");
        await page.Context.CloseAsync();
    }
}
