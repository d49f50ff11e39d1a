using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Lifecycle;

/// <summary>A stretch of time during which one version held one stage.</summary>
/// <param name="To">When the version left the stage; null while it still holds it.</param>
/// <param name="EnteredBy">Who made the move (the deciding reviewer).</param>
/// <param name="RequestId">The transition request that caused the move, if any.</param>
/// <param name="ApprovedBy">The reviewers who approved that request, in the order they approved.</param>
/// <param name="Reason">Set when the move was a consequence of another request (e.g. "Superseded by version 3").</param>
public sealed record StageInterval(
    Stage Stage,
    int Version,
    DateTimeOffset From,
    DateTimeOffset? To,
    string EnteredBy,
    long? RequestId,
    IReadOnlyList<string> ApprovedBy,
    string? Reason);

/// <summary>A model's stage history as intervals, newest first, and how many there are in all.</summary>
public sealed record StageTimeline(string ModelName, IReadOnlyList<StageInterval> Intervals, int Total);

/// <summary>
/// "Which version held each stage, over time" for a model: the stage changes recorded by the workflow, turned into
/// intervals. It reads the same stage history as <see cref="LifecycleQueries.FindInStageAtAsync"/>, so the timeline
/// and a point-in-time question cannot disagree.
/// </summary>
public sealed class StageTimelineService(IDbContextFactory<RegistryDbContext> dbFactory)
{
    public const int MaxIntervals = 500;

    /// <summary>The newest <paramref name="take"/> intervals (at most <see cref="MaxIntervals"/>) of the model; 404 when unknown.</summary>
    public async Task<StageTimeline> GetAsync(string modelName, int take = 200, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var modelId = await db.RequireModelIdAsync(modelName, ct);
        var changes = await db.StageChanges.AsNoTracking().Where(c => c.Version.ModelId == modelId)
            .OrderBy(c => c.At).ThenBy(c => c.Id)
            .Select(c => new { c.VersionId, c.Version.Number, c.ToStage, c.At, c.By, c.RequestId, c.Reason })
            .ToListAsync(ct);

        var intervals = new List<(StageInterval Interval, long Order)>();
        foreach (var version in changes.GroupBy(c => c.VersionId))
        {
            var steps = version.ToList();
            for (var i = 0; i < steps.Count; i++)
            {
                var step = steps[i];
                if (step.ToStage == Stage.None)
                {
                    continue;
                }

                var until = i + 1 < steps.Count ? steps[i + 1].At : (DateTimeOffset?)null;
                intervals.Add((new StageInterval(step.ToStage, step.Number, step.At, until, step.By, step.RequestId, [], step.Reason),
                    step.At.UtcTicks));
            }
        }

        var newest = intervals.OrderByDescending(i => i.Order).ThenByDescending(i => i.Interval.Version)
            .Take(Math.Clamp(take, 1, MaxIntervals)).Select(i => i.Interval).ToList();
        var requestIds = newest.Where(i => i.RequestId is not null).Select(i => i.RequestId!.Value).Distinct().ToList();
        var approvals = (await db.Set<TransitionApproval>().AsNoTracking().Where(a => requestIds.Contains(a.RequestId))
                .Select(a => new { a.RequestId, a.ReviewerName, a.At, a.Id })
                .ToListAsync(ct))
            .GroupBy(a => a.RequestId)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.OrderBy(a => a.At).ThenBy(a => a.Id).Select(a => a.ReviewerName).ToList());
        return new StageTimeline(modelName,
            newest.Select(i => i.RequestId is { } id && approvals.TryGetValue(id, out var names) ? i with { ApprovedBy = names } : i).ToList(),
            intervals.Count);
    }
}
