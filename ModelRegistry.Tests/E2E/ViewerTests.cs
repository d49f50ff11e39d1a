using Microsoft.Playwright;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

/// <summary>A Viewer (a user with no roles) can look at everything and change nothing.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ViewerTests(BrowserFixture browser)
{
    // Names of controls that change the registry; none may show for a Viewer.
    private static readonly string[] MutatingControls =
        ["Register a model", "Register the first model", "New version", "Create the first version", "Create version", "Edit", "Delete", "Users & roles"];

    private static async Task AssertNoMutatingControlsAsync(IPage page)
    {
        foreach (var name in MutatingControls)
        {
            Assert.Equal(0, await page.GetByRole(AriaRole.Link, new() { Name = name }).CountAsync());
            Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = name }).CountAsync());
        }
    }

    [Fact]
    public async Task Viewer_browses_models_and_versions_without_any_control_that_changes_them()
    {
        var ds = await browser.App.CreateUserAsync(Roles.DataScientist);
        var name = $"viewer-{Guid.NewGuid():N}"[..18];
        await browser.App.Get<ModelService>().CreateAsync(ds.Actor,
            new CreateModel(name, "Viewer sample", "Seeded for the viewer test.", "text-generation", ["viewer"]), TestContext.Current.CancellationToken);
        await browser.App.Get<VersionService>().CreateAsync(ds.Actor, name,
            new VersionInput(BaseModel: "Qwen/Qwen2.5-7B-Instruct", ParameterCount: 7_615_616_512, ContextLength: 32_768, Format: WeightFormat.Safetensors),
            TestContext.Current.CancellationToken);
        var viewer = await browser.App.CreateUserAsync();
        var page = await browser.NewPageAsync(viewer);

        await page.GotoAsync($"/models?search={name}");
        await BrowserFixture.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Viewer sample" })).ToBeVisibleAsync();
        await AssertNoMutatingControlsAsync(page);

        await page.GetByRole(AriaRole.Link, new() { Name = "Viewer sample" }).ClickAsync();
        await page.WaitForURLAsync($"**/models/{name}");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Viewer sample" })).ToBeVisibleAsync();
        // The model card is the default tab; the versions table is one click away.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Versions" }).ClickAsync();
        var versions = page.GetByRole(AriaRole.Table);
        await Assertions.Expect(versions.GetByRole(AriaRole.Link, new() { Name = "v1" })).ToBeVisibleAsync();
        await AssertNoMutatingControlsAsync(page);

        await versions.GetByRole(AriaRole.Link, new() { Name = "v1" }).ClickAsync();
        await page.WaitForURLAsync($"**/models/{name}/versions/1");
        // The model page shows the parameter count twice (facts panel, versions table): wait for the version page itself.
        await Assertions.Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Overview" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("7.62 B")).ToBeVisibleAsync();
        await AssertNoMutatingControlsAsync(page);
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData("/models/new")]
    [InlineData("/admin/users")]
    public async Task Viewer_opening_a_page_their_roles_do_not_allow_is_told_so(string path)
    {
        var viewer = await browser.App.CreateUserAsync();
        var page = await browser.NewPageAsync(viewer);

        var response = await page.GotoAsync(path);
        await BrowserFixture.WaitForCircuitAsync(page);

        // Told inside the app, with the navigation still there, not sent to a dead end.
        Assert.Equal(403, response!.Status);
        Assert.EndsWith(path, page.Url, StringComparison.Ordinal);
        await Assertions.Expect(page.GetByText("You don't have a role that allows this page")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Models" })).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "viewer-denied" + path.Replace('/', '-'));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Anonymous_visit_to_models_goes_to_sign_in_and_back_after_it()
    {
        var viewer = await browser.App.CreateUserAsync();
        var page = await browser.NewPageAsync();

        await page.GotoAsync("/models");
        await page.WaitForURLAsync(url => url.Contains("/Account/Login", StringComparison.Ordinal));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in", Exact = true })).ToBeVisibleAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Link, new() { Name = "Models" }).CountAsync());
        await BrowserFixture.ScreenshotAsync(page, "login");

        await page.GetByLabel("Email").FillAsync(viewer.Email);
        await page.GetByLabel("Password").FillAsync(viewer.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/models");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Models", Exact = true })).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }
}
