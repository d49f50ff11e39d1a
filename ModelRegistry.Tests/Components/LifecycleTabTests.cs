using Bunit;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;
using ModelRegistry.Web.Components.Pages.Lifecycle.Components;
using ModelRegistry.Web.Security;
using static ModelRegistry.Tests.Infrastructure.LifecycleAppExtensions;

namespace ModelRegistry.Tests.Components;

/// <summary>The Lifecycle tab against a real registry: who sees which control, and that the controls work.</summary>
public sealed class LifecycleTabTests(RegistryApp app) : IClassFixture<RegistryApp>, IAsyncDisposable
{
    private readonly BunitContext _ctx = DashboardTestContext.Create();

    private static readonly string[] Controls = ["Approve", "Reject", "Add comment", "Cancel request", "Request transition"];

    private IRenderedComponent<LifecycleTab> Render(string userId, string model, int number, params string[] roles)
    {
        _ctx.Services.AddSingleton(app.Get<LifecycleService>());
        _ctx.Services.AddSingleton(app.Get<LifecycleQueries>());
        _ctx.Services.AddSingleton(app.Get<ModelRegistry.Core.Signing.AttestationService>());
        _ctx.Services.AddSingleton(app.Get<ModelRegistry.Core.Versions.VersionService>());
        _ctx.Services.AddSingleton(TimeProvider.System);
        _ctx.Services.AddScoped<CurrentActor>();
        _ctx.SignInAs(userId, roles);
        var (tab, _) = _ctx.RenderWithPopovers<LifecycleTab>(p => p.Add(t => t.ModelName, model).Add(t => t.Number, number));
        tab.WaitForAssertion(() => Assert.Empty(tab.FindAll("[aria-label=Loading]")));
        return tab;
    }

    private static List<string> VisibleControls(IRenderedComponent<LifecycleTab> tab) =>
        tab.FindAll("button").Select(b => b.TextContent.Trim()).Where(Controls.Contains).ToList();

    private async Task<(TestUser Ds, TestUser Reviewer, string Model, TransitionRequestInfo Request)> OpenRequestAsync(string prefix)
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        var model = Unique(prefix);
        await app.ModelWithVersionsAsync(ds, model, 1);
        var request = await app.RequestAsync(ds, model, 1, Stage.Staging, "Passed the offline evaluation.");
        return (ds, reviewer, model, request);
    }

    [Fact]
    public async Task A_viewer_sees_the_request_and_its_discussion_but_no_control()
    {
        var (_, reviewer, model, request) = await OpenRequestAsync("tab-viewer");
        await app.Lifecycle().CommentAsync(reviewer.Actor, request.Id, "Which eval set?", Xunit.TestContext.Current.CancellationToken);
        var viewer = await app.CreateUserAsync();

        var tab = Render(viewer.Id, model, 1);

        Assert.Contains("Open request", tab.Markup);
        Assert.Contains("Passed the offline evaluation.", tab.Markup);
        Assert.Contains("Which eval set?", tab.Markup);
        Assert.Empty(VisibleControls(tab));
    }

    [Fact]
    public async Task A_reviewer_who_did_not_request_it_may_approve_reject_and_comment()
    {
        var (_, reviewer, model, _) = await OpenRequestAsync("tab-reviewer");

        var tab = Render(reviewer.Id, model, 1, Roles.Reviewer);

        Assert.Equal(["Approve", "Reject", "Add comment"], VisibleControls(tab));
    }

    [Fact]
    public async Task The_requester_may_cancel_and_comment_but_not_decide()
    {
        var (ds, _, model, _) = await OpenRequestAsync("tab-requester");
        await app.Get<UserAdminService>().GrantRoleAsync(Actor.CommandLine, ds.Id, Roles.Reviewer, Xunit.TestContext.Current.CancellationToken);

        var tab = Render(ds.Id, model, 1, Roles.DataScientist, Roles.Reviewer);

        Assert.Equal(["Add comment", "Cancel request"], VisibleControls(tab));
        Assert.Contains("another reviewer must decide it", tab.Markup);
    }

    [Fact]
    public async Task A_data_scientist_is_offered_a_request_when_none_is_open()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var model = Unique("tab-none");
        await app.ModelWithVersionsAsync(ds, model, 1);

        var tab = Render(ds.Id, model, 1, Roles.DataScientist);

        Assert.Contains("No open request", tab.Markup);
        Assert.Equal(["Request transition"], VisibleControls(tab));
    }

    [Fact]
    public async Task Approving_from_the_tab_moves_the_version_and_shows_it_in_the_history()
    {
        var (_, reviewer, model, _) = await OpenRequestAsync("tab-approve");
        var tab = Render(reviewer.Id, model, 1, Roles.Reviewer);

        tab.FindAll("button").Single(b => b.TextContent.Trim() == "Approve").Click();

        tab.WaitForAssertion(() => Assert.Contains("No open request", tab.Markup));
        Assert.Equal(Stage.Staging, await app.StageOfAsync(model, 1));
        var history = tab.Find("[aria-label='Stage history']");
        Assert.Contains("Staging", history.TextContent);
        Assert.Contains("by someone@example.com", history.TextContent); // the signed-in principal's name
    }

    [Fact]
    public async Task Rejecting_without_a_comment_is_stopped_in_the_tab()
    {
        var (_, reviewer, model, request) = await OpenRequestAsync("tab-reject");
        var tab = Render(reviewer.Id, model, 1, Roles.Reviewer);

        tab.FindAll("button").Single(b => b.TextContent.Trim() == "Reject").Click();

        tab.WaitForAssertion(() => Assert.Contains("a rejection needs one", tab.Markup));
        Assert.Equal(TransitionStatus.Pending, (await app.LifecycleQueries().GetAsync(request.Id, Xunit.TestContext.Current.CancellationToken)).Status);
    }

    public ValueTask DisposeAsync() => _ctx.DisposeAsync();
}
