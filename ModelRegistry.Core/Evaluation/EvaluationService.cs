using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Evaluation;

/// <summary>Records and reads a version's evaluation results, and a model's metrics across its versions.</summary>
public sealed class EvaluationService(
    IDbContextFactory<RegistryDbContext> dbFactory,
    VersionWriter writer)
{
    public const int MaxNameLength = 100;
    public const int MaxDatasetLength = 200;
    public const int MaxSplitLength = 50;
    public const int MaxUnitLength = 30;

    /// <summary>Results accepted in one request.</summary>
    public const int MaxPerRequest = 500;

    /// <summary>Versions the chart covers at most: the newest ones that have results.</summary>
    public const int MaxChartVersions = 200;

    /// <summary>A version's results, by metric name, then newest first; 404 when the model or version is unknown.</summary>
    public async Task<IReadOnlyList<EvaluationResultInfo>> ListAsync(string modelName, int number, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var versionId = await db.RequireVersionIdAsync(modelName, number, ct);
        var rows = await db.EvaluationResults.AsNoTracking().Where(r => r.VersionId == versionId).ToListAsync(ct);
        return rows.OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase).ThenBy(r => r.Dataset).ThenBy(r => r.Split)
            .ThenByDescending(r => r.RecordedAt).ThenByDescending(r => r.Id).Select(ToInfo).ToList();
    }

    /// <summary>
    /// A version's metrics (the newest result of each) beside those of <paramref name="baseline"/> — typically the
    /// model's Production version, for a reviewer deciding a request: value, baseline value, delta, and whether the
    /// change is an improvement given the metric's direction. Metrics the baseline lacks have no delta.
    /// </summary>
    public async Task<IReadOnlyList<MetricAgainstBaseline>> CompareWithAsync(string modelName, int number, int? baseline,
        CancellationToken ct = default)
    {
        static Dictionary<MetricKey, EvaluationResultInfo> Newest(IEnumerable<EvaluationResultInfo> results) =>
            results.GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.MaxBy(r => r.RecordedAt)!);

        var mine = Newest(await ListAsync(modelName, number, ct));
        var theirs = baseline is { } b && b != number ? Newest(await ListAsync(modelName, b, ct)) : [];
        return mine.Values.Select(r =>
        {
            double? baseValue = theirs.TryGetValue(r.Key, out var t) ? t.Value : null;
            double? delta = baseValue is { } v ? r.Value - v : null;
            bool? better = delta is { } d && d != 0 ? (d > 0) == r.HigherIsBetter : null;
            return new MetricAgainstBaseline(r.Key, r.Unit, r.HigherIsBetter, r.Value, baseValue, delta, better);
        }).OrderBy(c => c.Key.Name, StringComparer.OrdinalIgnoreCase).ThenBy(c => c.Key.Dataset).ToList();
    }

    /// <summary>
    /// Records <paramref name="metrics"/> for a version in one transaction, with one audit event. DataScientist or
    /// Admin. Empty names, missing, NaN or infinite values are refused (400) and nothing is recorded.
    /// </summary>
    /// <param name="source"><see cref="EvaluationSource.Manual"/> or <see cref="EvaluationSource.Api"/>; model-index results come only from saving a card.</param>
    public async Task<IReadOnlyList<EvaluationResultInfo>> RecordAsync(Actor actor, string modelName, int number,
        IReadOnlyList<MetricInput>? metrics, EvaluationSource source, CancellationToken ct = default)
    {
        if (source == EvaluationSource.ModelIndex || !Enum.IsDefined(source))
        {
            throw new ArgumentOutOfRangeException(nameof(source), "Results from model-index are imported by saving the card.");
        }

        var valid = Validate(metrics);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Results may be added to a frozen version (post-release evaluations); they are labelled so and change no digest.
        var recorded = await writer.ChangeAsync(db, actor, modelName, number, VersionWriteKind.Evaluation, change =>
        {
            var (version, now) = (change.Version, change.Now);
            var rows = valid.Select(m => new EvaluationResult(version, m, source, actor.UserId, actor.DisplayName, now)
            {
                AfterApproval = change.WasFrozen,
            }).ToList();
            db.EvaluationResults.AddRange(rows);
            change.Audit(AuditActions.EvaluationRecorded, AuditEntities.Version, $"{modelName}/{number}", new
            {
                source,
                afterApproval = change.WasFrozen ? true : (bool?)null,
                results = rows.Select(r => new { r.Name, r.Value, r.Dataset, r.Split, r.HigherIsBetter, r.Unit }),
            });
            return Task.FromResult(rows);
        }, ct);

        return recorded.Select(ToInfo).ToList();
    }

    /// <summary>
    /// Corrects result <paramref name="resultId"/> of a version that is not frozen: every field is replaced by
    /// <paramref name="metric"/> (validated as when recording), the corrector becomes its recorder, and the before and
    /// after are audited. DataScientist or Admin. 404 when the result is not one of the version's; 409
    /// <c>version_frozen</c> on a frozen version (what reviewers approved stays as they saw it); 409 for a result
    /// imported from the card's model-index (the card is its source: edit the card).
    /// </summary>
    public async Task<EvaluationResultInfo> CorrectAsync(Actor actor, string modelName, int number, long resultId,
        MetricInput? metric, CancellationToken ct = default)
    {
        var valid = Validate(metric is null ? null : [metric])[0];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await writer.ChangeAsync(db, actor, modelName, number, VersionWriteKind.EvaluationCorrection, async change =>
        {
            var row = await FindForChangeAsync(db, change, resultId, ct);
            var before = ToInfo(row);
            row.Correct(valid, actor.UserId, actor.DisplayName, change.Now);
            change.Audit(AuditActions.EvaluationCorrected, AuditEntities.Version, $"{modelName}/{number}", new
            {
                id = resultId,
                before = new { before.Name, before.Value, before.Dataset, before.Split, before.HigherIsBetter, before.Unit, before.Source },
                after = new { row.Name, row.Value, row.Dataset, row.Split, row.HigherIsBetter, row.Unit },
            });
            return row;
        }, ct);
        return ToInfo(row);
    }

    /// <summary>
    /// Removes result <paramref name="resultId"/> of a version that is not frozen, audited with the result as it was.
    /// DataScientist or Admin. Refused as <see cref="CorrectAsync"/> is.
    /// </summary>
    public async Task RemoveAsync(Actor actor, string modelName, int number, long resultId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await writer.ChangeAsync(db, actor, modelName, number, VersionWriteKind.EvaluationCorrection, async change =>
        {
            var row = await FindForChangeAsync(db, change, resultId, ct);
            db.EvaluationResults.Remove(row);
            change.Audit(AuditActions.EvaluationRemoved, AuditEntities.Version, $"{modelName}/{number}", new
            {
                id = resultId,
                removed = new { row.Name, row.Value, row.Dataset, row.Split, row.HigherIsBetter, row.Unit, row.Source, row.RecordedBy, row.RecordedAt },
            });
            return true;
        }, ct);
    }

    private static async Task<EvaluationResult> FindForChangeAsync(RegistryDbContext db, VersionChange change, long resultId,
        CancellationToken ct)
    {
        var row = await db.EvaluationResults.SingleOrDefaultAsync(r => r.Id == resultId && r.VersionId == change.Version.Id, ct)
            ?? throw new NotFoundException($"Version {change.Version.Number} of '{change.ModelName}' has no evaluation result {resultId}.");
        if (row.Source == EvaluationSource.ModelIndex)
        {
            throw new ConflictException(
                $"Result {resultId} ({row.Name}) was imported from the model card's model-index; correct or remove it in the card.");
        }

        return row;
    }

    /// <summary>
    /// Each metric across the model's versions (the newest <see cref="MaxChartVersions"/> that have results), for the
    /// chart: one series per metric, data set and split; a version's newest result of a series is its point.
    /// </summary>
    public async Task<ModelMetrics> ModelMetricsAsync(string modelName, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var modelId = await db.RequireModelIdAsync(modelName, ct);
        var production = await db.Versions.Where(v => v.ModelId == modelId && v.Stage == Stage.Production)
            .Select(v => (int?)v.Number).FirstOrDefaultAsync(ct);
        var results = db.EvaluationResults.AsNoTracking().Where(r => r.Version.ModelId == modelId);
        var numbers = await results.Select(r => r.Version.Number).Distinct().OrderByDescending(n => n).Take(MaxChartVersions).ToListAsync(ct);
        if (numbers.Count == 0)
        {
            return new ModelMetrics(modelName, [], production, []);
        }

        var oldest = numbers.Min();
        var rows = await results.Where(r => r.Version.Number >= oldest)
            .Select(r => new { Number = r.Version.Number, r.Id, r.Name, r.Value, r.Dataset, r.Split, r.HigherIsBetter, r.Unit, r.RecordedAt })
            .ToListAsync(ct);

        var series = rows
            .GroupBy(r => new MetricKey(r.Name, r.Dataset, r.Split))
            .Select(g =>
            {
                var newest = g.MaxBy(r => (r.RecordedAt, r.Id))!;
                var points = g.GroupBy(r => r.Number)
                    .Select(v => v.MaxBy(r => (r.RecordedAt, r.Id))!)
                    .OrderBy(r => r.Number)
                    .Select(r => new MetricPoint(r.Number, r.Value))
                    .ToList();
                return new MetricSeries(g.Key, newest.Unit, newest.HigherIsBetter, points);
            })
            .OrderBy(s => s.Label, StringComparer.OrdinalIgnoreCase)
            .ToList();
        return new ModelMetrics(modelName, numbers.Order().ToList(), production, series);
    }

    /// <summary>
    /// Records the card's model-index results for <paramref name="version"/> inside the caller's transaction. An
    /// entry already imported (same metric, data set and split) is not added again; if its number changed, the
    /// number is updated. Results recorded by hand or over the API are never touched.
    /// </summary>
    internal static async Task<(int Added, int Updated)> ImportModelIndexAsync(RegistryDbContext db, ModelVersion version,
        IReadOnlyList<ModelIndexResult> results, Actor actor, DateTimeOffset now, CancellationToken ct)
    {
        if (results.Count == 0)
        {
            return (0, 0);
        }

        var existing = version.Id == 0
            ? []
            : await db.EvaluationResults.Where(r => r.VersionId == version.Id && r.Source == EvaluationSource.ModelIndex).ToListAsync(ct);
        var byKey = existing.GroupBy(r => new MetricKey(r.Name, r.Dataset, r.Split)).ToDictionary(g => g.Key, g => g.First());
        int added = 0, updated = 0;
        foreach (var result in results)
        {
            MetricInput input;
            try
            {
                input = Validate([new MetricInput(result.Metric, result.Value, result.Dataset, result.Split)])[0];
            }
            catch (ValidationFailedException)
            {
                continue; // The metadata panel already reports unreadable entries; an over-long name is skipped the same way.
            }

            var key = new MetricKey(input.Name!, input.Dataset, input.Split);
            if (byKey.TryGetValue(key, out var row))
            {
                if (row.Value != input.Value)
                {
                    row.Reimport(input.Value!.Value, actor.UserId, actor.DisplayName, now);
                    updated++;
                }

                continue;
            }

            row = new EvaluationResult(version, input, EvaluationSource.ModelIndex, actor.UserId, actor.DisplayName, now);
            db.EvaluationResults.Add(row);
            byKey[key] = row;
            added++;
        }

        return (added, updated);
    }

    internal static List<MetricInput> Validate(IReadOnlyList<MetricInput>? metrics)
    {
        if (metrics is null || metrics.Count == 0)
        {
            throw ValidationFailedException.For("metrics", "Send at least one result: [{\"name\": …, \"value\": …}].");
        }

        if (metrics.Count > MaxPerRequest)
        {
            throw ValidationFailedException.For("metrics", $"At most {MaxPerRequest} results at once.");
        }

        return metrics.Select((m, i) =>
        {
            var at = $"[{i}]";
            if (m is null)
            {
                throw ValidationFailedException.For(at, "A result may not be null.");
            }

            var name = Input.Name($"{at}.name", m.Name, MaxNameLength)
                ?? throw ValidationFailedException.For($"{at}.name", "Every result needs a metric name.");
            var value = m.Value ?? throw ValidationFailedException.For($"{at}.value", $"'{name}' needs a numeric value.");
            if (!double.IsFinite(value))
            {
                throw ValidationFailedException.For($"{at}.value", $"The value of '{name}' must be a finite number (not NaN or infinity).");
            }

            return new MetricInput(name, value,
                Input.Name($"{at}.dataset", m.Dataset, MaxDatasetLength),
                Input.Name($"{at}.split", m.Split, MaxSplitLength),
                m.HigherIsBetter ?? MetricDirection.HigherIsBetter(name),
                Input.Line($"{at}.unit", m.Unit, MaxUnitLength));
        }).ToList();
    }

    internal static EvaluationResultInfo ToInfo(EvaluationResult r) =>
        new(r.Id, r.Name, r.Value, r.Dataset, r.Split, r.HigherIsBetter, r.Unit, r.Source, r.RecordedBy, r.RecordedAt, r.AfterApproval);
}
