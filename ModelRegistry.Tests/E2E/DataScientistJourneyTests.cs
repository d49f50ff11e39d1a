using Microsoft.Playwright;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

[Collection(BrowserCollection.Name)]
public sealed class DataScientistJourneyTests(BrowserFixture browser)
{
    [Fact]
    public async Task Data_scientist_registers_a_model_adds_two_versions_and_sees_them()
    {
        var ds = await browser.App.CreateUserAsync(Roles.DataScientist);
        var page = await browser.NewPageAsync(ds);
        var name = $"e2e-chat-{Guid.NewGuid():N}"[..20];

        await page.GotoAsync("/models/new");
        await BrowserFixture.WaitForCircuitAsync(page);
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await page.GetByLabel("Display name").FillAsync("E2E chat model");
        await page.GetByLabel("Description").FillAsync("Answers support questions.");
        await page.GetByLabel("Tags").FillAsync("chat, e2e");
        await BrowserFixture.ScreenshotAsync(page, "register-model-form");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register model" }).ClickAsync();
        await page.WaitForURLAsync($"**/models/{name}");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "E2E chat model" })).ToBeVisibleAsync();

        for (var i = 1; i <= 2; i++)
        {
            await page.GetByRole(AriaRole.Link, new() { Name = "New version" }).ClickAsync();
            await page.WaitForURLAsync($"**/models/{name}/versions/new");
            await page.GetByLabel("Base model").FillAsync("meta-llama/Llama-3.1-8B-Instruct");
            await page.GetByLabel("Parameter count").FillAsync("8030261248");
            await page.GetByLabel("Context length (tokens)").FillAsync("131072");
            if (i == 2)
            {
                await BrowserFixture.ScreenshotAsync(page, "new-version-form");
            }

            await page.GetByRole(AriaRole.Button, new() { Name = "Create version" }).ClickAsync();
            await page.WaitForURLAsync($"**/models/{name}/versions/{i}");
            await Assertions.Expect(page.GetByText("8.03 B")).ToBeVisibleAsync();
            await page.GetByRole(AriaRole.Link, new() { Name = name }).First.ClickAsync();
            await page.WaitForURLAsync($"**/models/{name}");
        }

        // The model card is the default tab; the versions table is one click away.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Versions" }).ClickAsync();
        var versions = page.GetByRole(AriaRole.Table);
        await Assertions.Expect(versions.GetByRole(AriaRole.Link, new() { Name = "v1" })).ToBeVisibleAsync();
        await Assertions.Expect(versions.GetByRole(AriaRole.Link, new() { Name = "v2" })).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "model-details");

        await versions.GetByRole(AriaRole.Link, new() { Name = "v2" }).ClickAsync();
        await page.WaitForURLAsync($"**/models/{name}/versions/2");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Version 1" })).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "version-overview");

        await page.GotoAsync("/models");
        await BrowserFixture.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "E2E chat model" })).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "model-list");
        await page.Context.CloseAsync();
    }
}
