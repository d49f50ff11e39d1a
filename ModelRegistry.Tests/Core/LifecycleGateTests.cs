using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;
using static ModelRegistry.Tests.Infrastructure.LifecycleAppExtensions;

namespace ModelRegistry.Tests.Core;

/// <summary>A registry whose policy has the test gates (see <see cref="TestGates"/>).</summary>
public sealed class GatedRegistry : IAsyncLifetime
{
    public RegistryApp App { get; } = TestGates.AppWithGates();

    public ValueTask InitializeAsync() => new(App.InitializeAsync());

    public ValueTask DisposeAsync() => App.DisposeAsync();
}

/// <summary>Policy gates are checked when a request is made and again when it is approved; a refusal lists every unmet gate.</summary>
public sealed class LifecycleGateTests(GatedRegistry registry) : IClassFixture<GatedRegistry>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private RegistryApp App => registry.App;
    private LifecycleService Lifecycle => App.Get<LifecycleService>();
    private LifecycleQueries Queries => App.Get<LifecycleQueries>();

    private async Task<(TestUser Ds, TestUser Reviewer, string Model)> SetupAsync(string prefix, VersionInput? version = null)
    {
        var ds = await App.CreateUserAsync(Roles.DataScientist);
        var reviewer = await App.CreateUserAsync(Roles.Reviewer);
        var model = Unique(prefix);
        await App.RegisterModelAsync(ds, model);
        await App.CreateVersionAsync(ds, model, version);
        return (ds, reviewer, model);
    }

    private static VersionInput Ready => new(Description: "Fine-tuned on 2026-11 tickets.", Tags: ["reviewed"]);

    [Fact]
    public async Task A_refused_request_lists_every_unmet_gate_and_changes_nothing()
    {
        var (ds, _, model) = await SetupAsync("gate-refused");
        await App.Get<ModelService>().UpdateAsync(ds.Actor, model, new UpdateModel(Owner: "nobody"), Ct);
        var before = await App.StateAsync();

        var e = await Assert.ThrowsAsync<GatesNotMetException>(() => App.RequestAsync(ds, model, 1, Stage.Production));

        Assert.Equal([TestGates.DescriptionGate.GateName, TestGates.ReviewedTagGate.GateName, TestGates.ModelOwnerGate.GateName],
            e.UnmetGates.Select(g => g.Gate));
        Assert.All(e.UnmetGates, g => Assert.False(g.Passed));
        Assert.Contains("no description", e.Message);
        Assert.Contains("no owner", e.Message);
        Assert.Equal(before, await App.StateAsync());
        Assert.Equal(0, (await Queries.ListAsync(new TransitionQuery(Model: model), Ct)).Total);
    }

    [Fact]
    public async Task Only_the_gates_of_the_target_stage_apply()
    {
        var (ds, _, model) = await SetupAsync("gate-staging", new VersionInput(Tags: ["reviewed"]));

        var staging = await Queries.CheckGatesAsync(model, 1, Stage.Staging, Ct);
        var production = await Queries.CheckGatesAsync(model, 1, Stage.Production, Ct);
        var archived = await Queries.CheckGatesAsync(model, 1, Stage.Archived, Ct);

        Assert.Equal([TestGates.ReviewedTagGate.GateName], staging.Select(g => g.Gate));
        Assert.True(staging[0].Passed);
        Assert.Equal([(TestGates.DescriptionGate.GateName, false), (TestGates.ReviewedTagGate.GateName, true), (TestGates.ModelOwnerGate.GateName, true)],
            production.Select(g => (g.Gate, g.Passed)));
        Assert.Empty(archived);

        var request = await App.RequestAsync(ds, model, 1, Stage.Staging);
        Assert.Equal(TransitionStatus.Pending, request.Status);
        Assert.True(request.GatesPassed);
    }

    [Fact]
    public async Task Gates_are_checked_again_at_approval()
    {
        var (ds, reviewer, model) = await SetupAsync("gate-approval", Ready);
        var request = await App.RequestAsync(ds, model, 1, Stage.Production);
        Assert.All(request.Gates!, g => Assert.True(g.Passed));

        // The version loses its description after the request was made.
        await App.Get<VersionService>().UpdateAsync(ds.Actor, model, 1, new VersionInput(Description: ""), Ct);
        var pending = await Queries.GetAsync(request.Id, Ct);
        Assert.False(pending.GatesPassed);
        var before = await App.LastAuditSequenceAsync();

        var e = await Assert.ThrowsAsync<GatesNotMetException>(() => Lifecycle.ApproveAsync(reviewer.Actor, request.Id, "ok", Ct));

        Assert.Equal(TestGates.DescriptionGate.GateName, Assert.Single(e.UnmetGates).Gate);
        Assert.Empty(await App.AuditEventsAsync(before));
        var after = await Queries.GetAsync(request.Id, Ct);
        Assert.Equal(TransitionStatus.Pending, after.Status);
        Assert.Empty(after.Approvals);
        Assert.Equal(Stage.None, await App.StageOfAsync(model, 1));

        // Fixed: the same request can now be approved.
        await App.Get<VersionService>().UpdateAsync(ds.Actor, model, 1, new VersionInput(Description: "Described again."), Ct);
        var approved = await Lifecycle.ApproveAsync(reviewer.Actor, request.Id, "ok", Ct);
        Assert.Equal(TransitionStatus.Approved, approved.Status);
        Assert.Null(approved.Gates);
        Assert.Equal(Stage.Production, await App.StageOfAsync(model, 1));
    }

    [Fact]
    public async Task A_refused_request_is_not_audited_and_a_passing_one_is()
    {
        var (ds, _, model) = await SetupAsync("gate-audit");
        var before = await App.LastAuditSequenceAsync();
        await Assert.ThrowsAsync<GatesNotMetException>(() => App.RequestAsync(ds, model, 1, Stage.Staging));
        Assert.Empty(await App.AuditEventsAsync(before));

        await App.Get<VersionService>().UpdateAsync(ds.Actor, model, 1, new VersionInput(Tags: ["reviewed"]), Ct);
        before = await App.LastAuditSequenceAsync();
        await App.RequestAsync(ds, model, 1, Stage.Staging);
        Assert.Equal(AuditActions.TransitionRequested, Assert.Single(await App.AuditEventsAsync(before)).Action);
    }
}
