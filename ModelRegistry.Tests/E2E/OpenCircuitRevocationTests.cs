using Microsoft.Playwright;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

[Collection(BrowserCollection.Name)]
public sealed class OpenCircuitRevocationTests(BrowserFixture browser)
{
    [Fact]
    public async Task Role_revoked_while_the_form_is_open_is_refused_on_the_very_next_action()
    {
        var admin = await browser.App.CreateUserAsync(Roles.Admin);
        var ds = await browser.App.CreateUserAsync(Roles.DataScientist);
        var page = await browser.NewPageAsync(ds);
        await page.GotoAsync("/models/new");
        await BrowserFixture.WaitForCircuitAsync(page);
        var name = $"revoked-{Guid.NewGuid():N}"[..18];
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);

        // The admin revokes the role while the data scientist's circuit is open with the form filled in.
        await browser.App.Get<UserAdminService>().RevokeRoleAsync(admin.Actor, ds.Id, Roles.DataScientist, TestContext.Current.CancellationToken);
        await page.GetByRole(AriaRole.Button, new() { Name = "Register model" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "roles" })).ToBeVisibleAsync();
        var models = await browser.App.Get<ModelService>().ListAsync(new ModelQuery(Search: name), TestContext.Current.CancellationToken);
        Assert.Equal(0, models.Total);
        await page.Context.CloseAsync();
    }
}
