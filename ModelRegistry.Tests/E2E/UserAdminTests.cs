using Microsoft.Playwright;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

[Collection(BrowserCollection.Name)]
public sealed class UserAdminTests(BrowserFixture browser)
{
    [Fact]
    public async Task Admin_creates_a_data_scientist_who_can_register_models_until_the_role_is_revoked()
    {
        var admin = await browser.App.CreateUserAsync(Roles.Admin);
        var adminPage = await browser.NewPageAsync(admin);
        var email = $"dana-{Guid.NewGuid():N}"[..16] + "@example.com";
        const string password = "a-long-enough-secret";

        await adminPage.GotoAsync("/admin/users");
        await BrowserFixture.WaitForCircuitAsync(adminPage);
        await adminPage.GetByRole(AriaRole.Button, new() { Name = "Add user" }).ClickAsync();
        await adminPage.GetByLabel("Email").FillAsync(email);
        await adminPage.GetByLabel("Name", new() { Exact = true }).FillAsync("Dana Scientist");
        await adminPage.GetByLabel("Initial password").FillAsync(password);
        await adminPage.GetByRole(AriaRole.Checkbox, new() { Name = Roles.DataScientist }).CheckAsync();
        await BrowserFixture.ScreenshotAsync(adminPage, "admin-users-new");
        await adminPage.GetByRole(AriaRole.Button, new() { Name = "Create user" }).ClickAsync();

        var row = adminPage.GetByRole(AriaRole.Row).Filter(new() { HasText = email });
        await Assertions.Expect(row).ToContainTextAsync("Dana Scientist");
        await Assertions.Expect(row).ToContainTextAsync(Roles.DataScientist);
        await BrowserFixture.ScreenshotAsync(adminPage, "admin-users");

        var created = (await browser.App.Get<UserAdminService>().ListAsync(Actor.CommandLine, TestContext.Current.CancellationToken))
            .Single(u => u.Email == email);
        Assert.Equal([Roles.DataScientist], created.Roles);
        var userPage = await browser.NewPageAsync(new TestUser(created.Id, email, password, new Actor(created.Id, email, created.Roles.ToHashSet())));
        await Assertions.Expect(userPage.GetByRole(AriaRole.Link, new() { Name = "Register a model" }).First).ToBeVisibleAsync();

        await row.GetByRole(AriaRole.Button, new() { Name = $"Change roles of {email}" }).ClickAsync();
        await adminPage.GetByRole(AriaRole.Menuitem, new() { Name = $"Revoke {Roles.DataScientist}" }).ClickAsync();
        await Assertions.Expect(row).Not.ToContainTextAsync(Roles.DataScientist);

        await userPage.ReloadAsync();
        await BrowserFixture.WaitForCircuitAsync(userPage);
        await Assertions.Expect(userPage.GetByRole(AriaRole.Heading, new() { Name = "Home", Exact = true })).ToBeVisibleAsync();
        Assert.Equal(0, await userPage.GetByRole(AriaRole.Link, new() { Name = "Register a model" }).CountAsync());

        await userPage.Context.CloseAsync();
        await adminPage.Context.CloseAsync();
    }
}
