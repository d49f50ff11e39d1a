using Bunit;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Aliases;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;
using ModelRegistry.Web.Components.Pages.Aliases.Components;
using ModelRegistry.Web.Security;
using static ModelRegistry.Tests.Infrastructure.LifecycleAppExtensions;

namespace ModelRegistry.Tests.Components;

/// <summary>The version page's aliases against a real registry: who sees which control, and that set, move and remove work.</summary>
public sealed class AliasesPanelTests(RegistryApp app) : IClassFixture<RegistryApp>, IAsyncDisposable
{
    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    private readonly BunitContext _ctx = DashboardTestContext.Create();

    private AliasService Aliases => app.Get<AliasService>();

    private IRenderedComponent<AliasesPanel> Render(TestUser user, string model, int number, params string[] roles) =>
        RenderWithPopovers(user, model, number, roles).Panel;

    private (IRenderedComponent<AliasesPanel> Panel, IRenderedComponent<MudBlazor.MudPopoverProvider> Popovers) RenderWithPopovers(
        TestUser user, string model, int number, params string[] roles)
    {
        _ctx.Services.AddSingleton(Aliases);
        _ctx.Services.AddScoped<CurrentActor>();
        _ctx.SignInAs(user.Id, roles);
        var (panel, popovers) = _ctx.RenderWithPopovers<AliasesPanel>(p => p.Add(a => a.ModelName, model).Add(a => a.Number, number));
        panel.WaitForAssertion(() => Assert.Empty(panel.FindAll("[aria-label='Loading aliases']")));
        return (panel, popovers);
    }

    private static List<string> Chips(IRenderedComponent<AliasesPanel> panel) =>
        panel.FindAll(".alias-chip").Select(c => c.GetAttribute("data-alias")!).ToList();

    private static void SetTyped(IRenderedComponent<AliasesPanel> panel, string alias)
    {
        panel.Find("input[aria-label='New alias']").Input(alias);
        panel.FindAll("button").Single(b => b.TextContent.Trim() == "Set alias").Click();
    }

    private async Task<(TestUser Ds, string Model)> ModelAsync(string prefix)
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var model = Unique(prefix);
        await app.ModelWithVersionsAsync(ds, model, 3);
        return (ds, model);
    }

    [Fact]
    public async Task A_viewer_sees_the_versions_aliases_and_no_control()
    {
        var (ds, model) = await ModelAsync("panel-viewer");
        await Aliases.SetAsync(ds.Actor, model, "champion", 2, Ct);
        await Aliases.SetAsync(ds.Actor, model, "challenger", 3, Ct);
        var viewer = await app.CreateUserAsync();

        var panel = Render(viewer, model, 2);

        Assert.Equal(["champion"], Chips(panel));
        Assert.Empty(panel.FindAll("input"));
        Assert.Empty(panel.FindAll("button"));
    }

    [Fact]
    public async Task A_data_scientist_sets_an_alias_on_this_version()
    {
        var (ds, model) = await ModelAsync("panel-set");
        var panel = Render(ds, model, 2, Roles.DataScientist);

        SetTyped(panel, " candidate ");

        panel.WaitForAssertion(() => Assert.Equal(["candidate"], Chips(panel)));
        Assert.Equal(2, Assert.Single(await Aliases.ListAsync(model, Ct)).Version);
    }

    [Fact]
    public async Task An_alias_of_another_version_is_moved_here_from_the_menu()
    {
        var (ds, model) = await ModelAsync("panel-move");
        await Aliases.SetAsync(ds.Actor, model, "champion", 1, Ct);
        var (panel, popovers) = RenderWithPopovers(ds, model, 3, Roles.DataScientist);
        Assert.Empty(Chips(panel));

        panel.Find("[aria-label='Move an alias here'] button").Click();
        popovers.WaitForAssertion(() => Assert.Contains("champion (now v1)", popovers.Markup));
        popovers.FindAll(".mud-menu-item").Single(i => i.TextContent.Contains("champion (now v1)")).Click();

        panel.WaitForAssertion(() => Assert.Equal(["champion"], Chips(panel)));
        Assert.Equal(3, Assert.Single(await Aliases.ListAsync(model, Ct)).Version);
    }

    [Fact]
    public async Task Closing_a_chip_removes_the_alias()
    {
        var (ds, model) = await ModelAsync("panel-remove");
        await Aliases.SetAsync(ds.Actor, model, "champion", 2, Ct);
        var panel = Render(ds, model, 2, Roles.DataScientist);

        panel.Find(".alias-chip .mud-chip-close-button").Click();

        panel.WaitForAssertion(() => Assert.Empty(Chips(panel)));
        Assert.Empty(await Aliases.ListAsync(model, Ct));
    }

    [Fact]
    public async Task A_refused_name_shows_cores_message_and_sets_nothing()
    {
        var (ds, model) = await ModelAsync("panel-refused");
        var panel = Render(ds, model, 2, Roles.DataScientist);

        SetTyped(panel, "production");

        panel.WaitForAssertion(() => Assert.Contains("'production' is reserved", panel.Find("[role=alert]").TextContent));
        Assert.Empty(await Aliases.ListAsync(model, Ct));
    }

    [Fact]
    public async Task A_data_scientist_whose_role_was_revoked_is_refused_by_core()
    {
        var (ds, model) = await ModelAsync("panel-revoked");
        var panel = Render(ds, model, 2, Roles.DataScientist);
        await app.Get<UserAdminService>().RevokeRoleAsync(Actor.CommandLine, ds.Id, Roles.DataScientist, Ct);

        SetTyped(panel, "champion");

        panel.WaitForAssertion(() => Assert.Contains("This needs one of the roles", panel.Find("[role=alert]").TextContent));
        Assert.Empty(await Aliases.ListAsync(model, Ct));
    }

    public ValueTask DisposeAsync() => _ctx.DisposeAsync();
}
