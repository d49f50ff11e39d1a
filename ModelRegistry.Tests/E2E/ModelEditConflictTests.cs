using Microsoft.Playwright;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>Two people edit the same model: the second save does not silently overwrite the first.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ModelEditConflictTests(BrowserFixture browser)
{
    [Fact]
    public async Task Saving_an_edit_of_a_model_someone_changed_meanwhile_is_refused_with_an_explanation_and_keeps_their_change()
    {
        var ct = TestContext.Current.CancellationToken;
        var models = browser.App.Get<ModelService>();
        var ds = await browser.App.CreateUserAsync(Roles.DataScientist);
        var colleague = await browser.App.CreateUserAsync(Roles.DataScientist);
        var name = $"conflict-{Guid.NewGuid():N}"[..20];
        await models.CreateAsync(ds.Actor, new CreateModel(name, "Conflict sample", "First words.", "text-generation", []), ct);
        var page = await browser.NewPageAsync(ds);
        await page.GotoAsync($"/models/{name}");
        await BrowserFixture.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        await page.GetByLabel("Description").FillAsync("My description.");

        // Meanwhile a colleague changes the description through the API's service.
        await models.UpdateAsync(colleague.Actor, name, new UpdateModel(Description: "The colleague's description."), ct);
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Someone else changed this model" })).ToBeVisibleAsync();
        var stored = await models.GetAsync(name, ct);
        Assert.Equal("The colleague's description.", stored.Description);
        await BrowserFixture.ScreenshotAsync(page, "model-edit-conflict");

        // Cancel and edit again from the current copy: now it saves.
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await page.ReloadAsync();
        await BrowserFixture.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        await page.GetByLabel("Description").FillAsync("Merged description.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        // The editor closes once the save is stored (the text alone is already on screen, in the editor's field).
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Save changes" })).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByText("Merged description.")).ToBeVisibleAsync();
        Assert.Equal("Merged description.", (await models.GetAsync(name, ct)).Description);
        await page.Context.CloseAsync();
    }
}
