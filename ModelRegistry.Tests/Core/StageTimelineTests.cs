using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>The model's stage history as intervals, and that it agrees with the point-in-time query.</summary>
public sealed class StageTimelineTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_stage_a_version_held_is_one_interval_with_who_approved_it()
    {
        await using var app = new RegistryApp();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        await app.ModelWithVersionsAsync(ds, "timeline", 2);
        await app.PromoteAsync(ds, reviewer, "timeline", 1, Stage.Staging);
        await app.PromoteAsync(ds, reviewer, "timeline", 1, Stage.Production);
        var v2 = await app.PromoteAsync(ds, reviewer, "timeline", 2, Stage.Production);

        var timeline = await app.Get<StageTimelineService>().GetAsync("timeline", ct: Ct);

        Assert.Equal(4, timeline.Total);
        var rows = timeline.Intervals.Select(i => (i.Version, i.Stage, Open: i.To is null)).ToList();
        // Newest first; the archiving of v1 and the promotion of v2 happen at the same moment.
        Assert.Equal([(2, Stage.Production, true), (1, Stage.Archived, true), (1, Stage.Production, false), (1, Stage.Staging, false)], rows);
        var staging = timeline.Intervals.Single(i => i.Stage == Stage.Staging);
        var production1 = timeline.Intervals.Single(i => i.Stage == Stage.Production && i.Version == 1);
        Assert.Equal(production1.From, staging.To);
        Assert.Equal(timeline.Intervals[0].From, production1.To);
        Assert.All(timeline.Intervals, i => Assert.Equal([reviewer.Actor.DisplayName], i.ApprovedBy));
        Assert.Equal("Superseded by version 2", timeline.Intervals.Single(i => i.Stage == Stage.Archived).Reason);
        Assert.Equal(v2.Id, timeline.Intervals[0].RequestId);

        // The timeline and "which version was in <stage> at <time>" read the same history.
        foreach (var interval in timeline.Intervals)
        {
            var held = await app.LifecycleQueries().FindInStageAtAsync("timeline", interval.Stage, interval.From, Ct);
            Assert.Equal(interval.Version, held.Number);
        }
    }

    [Fact]
    public async Task A_model_without_stage_changes_has_an_empty_timeline_and_an_unknown_model_is_404()
    {
        await using var app = new RegistryApp();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.ModelWithVersionsAsync(ds, "quiet", 1);

        var timeline = await app.Get<StageTimelineService>().GetAsync("quiet", ct: Ct);

        Assert.Equal(0, timeline.Total);
        Assert.Empty(timeline.Intervals);
        await Assert.ThrowsAsync<NotFoundException>(() => app.Get<StageTimelineService>().GetAsync("nobody", ct: Ct));
    }
}
