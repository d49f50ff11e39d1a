using Bunit;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Teams;
using ModelRegistry.Tests.Infrastructure;
using ModelRegistry.Web.Components.Shared;
using ModelRegistry.Web.Security;
using TeamsPage = ModelRegistry.Web.Components.Pages.Admin.Teams;

namespace ModelRegistry.Tests.Components;

/// <summary>/admin/teams against a real registry, and the visibility chip of the model pages.</summary>
public sealed class TeamsPageTests(RegistryApp app) : IClassFixture<RegistryApp>, IAsyncDisposable
{
    private readonly BunitContext _ctx = DashboardTestContext.Create();

    private async Task<(IRenderedComponent<TeamsPage> Page, TestUser Admin)> RenderAsync()
    {
        var admin = await app.CreateUserAsync(Roles.Admin);
        _ctx.Services.AddSingleton(app.Get<TeamService>());
        _ctx.Services.AddScoped<CurrentActor>();
        _ctx.SignInAs(admin.Id, Roles.Admin);
        var (page, _) = _ctx.RenderWithPopovers<TeamsPage>();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[aria-label=Loading]")));
        return (page, admin);
    }

    private static void Create(IRenderedComponent<TeamsPage> page, string name, string group = "")
    {
        var inputs = page.FindAll("input");
        inputs[0].Change(name);
        page.FindAll("input")[1].Change(group);
        page.FindAll("button").Single(b => b.TextContent.Trim() == "Create team").Click();
    }

    [Fact]
    public async Task Admin_creates_a_team_adds_a_member_and_sees_them_listed()
    {
        var (page, _) = await RenderAsync();
        var member = await app.CreateUserAsync(Roles.DataScientist);

        Create(page, "ui-team", "grp-ui");
        page.WaitForAssertion(() => Assert.Contains("ui-team", page.FindAll("[data-test=team-title]").Select(t => t.TextContent)));
        var card = page.FindAll("[data-test=team]").Single(t => t.TextContent.Contains("ui-team", StringComparison.Ordinal));
        Assert.Contains("group: grp-ui", card.TextContent);

        var cardInputs = page.FindAll("[data-test=team] input");
        cardInputs[0].Change(member.Email);
        page.FindAll("[data-test=team] button").First(b => b.TextContent.Trim() == "Add member").Click();

        page.WaitForAssertion(() => Assert.Contains(member.Email, page.FindAll("[data-test=member]").Select(m => m.TextContent)));
        Assert.Equal(["ui-team"], await app.Get<TeamService>().TeamsOfAsync(member.Id, Xunit.TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_hostile_name_is_refused_with_the_rule_and_never_rendered_as_markup()
    {
        var (page, _) = await RenderAsync();

        Create(page, "<img src=x onerror=alert(1)>");

        page.WaitForAssertion(() => Assert.Contains(TeamName.Rule, page.Find("[role=alert]").TextContent));
        Assert.Empty(page.FindAll("img"));
        Assert.DoesNotContain(page.FindAll("[data-test=team-title]"), t => t.TextContent.Contains('<', StringComparison.Ordinal));
    }

    [Fact]
    public void Chip_shows_restricted_with_the_owner_team_and_nothing_for_an_internal_model_without_one()
    {
        var restricted = _ctx.Render<VisibilityChip>(p => p.Add(c => c.OwnerTeam, "ml-core").Add(c => c.Visibility, ModelVisibility.Restricted));
        var owned = _ctx.Render<VisibilityChip>(p => p.Add(c => c.OwnerTeam, "ml-core").Add(c => c.Visibility, ModelVisibility.Internal));
        var plain = _ctx.Render<VisibilityChip>(p => p.Add(c => c.Visibility, ModelVisibility.Internal));

        Assert.Contains("Restricted · ml-core", restricted.Find("[data-test=visibility-chip]").TextContent);
        Assert.Equal("ml-core", owned.Find("[data-test=visibility-chip]").TextContent.Trim());
        Assert.Empty(plain.FindAll("[data-test=visibility-chip]"));
    }

    public async ValueTask DisposeAsync() => await _ctx.DisposeAsync();
}
