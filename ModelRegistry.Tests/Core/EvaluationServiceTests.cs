using ModelRegistry.Core.Common;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

public sealed class EvaluationServiceTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static int _badModels;

    private EvaluationService Evaluations => app.Get<EvaluationService>();

    private async Task<TestUser> ModelAsync(string model, int versions)
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, model);
        for (var i = 0; i < versions; i++)
        {
            await app.CreateVersionAsync(ds, model);
        }

        return ds;
    }

    public static TheoryData<string?, double?> BadResults() => new()
    {
        { null, 1 },
        { "", 1 },
        { "   ", 1 },
        { "accuracy", null },
        { "accuracy", double.NaN },
        { "accuracy", double.PositiveInfinity },
        { "accuracy", double.NegativeInfinity },
        { new string('m', 101), 1 },
        { "tab\tname", 1 },
    };

    [Theory]
    [MemberData(nameof(BadResults))]
    public async Task Bad_result_is_refused_and_nothing_of_the_batch_is_recorded(string? name, double? value)
    {
        var model = $"eval-bad-{Interlocked.Increment(ref _badModels)}";
        var ds = await ModelAsync(model, 1);
        var before = await app.LastAuditSequenceAsync();

        await Assert.ThrowsAsync<ValidationFailedException>(() => Evaluations.RecordAsync(ds.Actor, model, 1,
            [new MetricInput("fine", 0.5), new MetricInput(name, value)], EvaluationSource.Manual, Ct));

        Assert.Empty(await Evaluations.ListAsync(model, 1, Ct));
        Assert.Empty(await app.AuditEventsAsync(before));
    }

    [Fact]
    public async Task Empty_batch_is_refused()
    {
        var ds = await ModelAsync("eval-empty", 1);

        await Assert.ThrowsAsync<ValidationFailedException>(() => Evaluations.RecordAsync(ds.Actor, "eval-empty", 1, [], EvaluationSource.Api, Ct));
    }

    [Fact]
    public async Task Recorded_results_carry_source_recorder_and_direction()
    {
        var ds = await ModelAsync("eval-record", 1);
        var before = await app.LastAuditSequenceAsync();

        var recorded = await Evaluations.RecordAsync(ds.Actor, "eval-record", 1,
        [
            new MetricInput("accuracy", 0.71, "MMLU", "test", Unit: "%"),
            new MetricInput("perplexity", 6.2, "wikitext"),
            new MetricInput("latency p95", 120, HigherIsBetter: false, Unit: "ms"),
            new MetricInput("win rate", 0.4, HigherIsBetter: true),
        ], EvaluationSource.Api, Ct);

        Assert.Equal(4, recorded.Count);
        var list = await Evaluations.ListAsync("eval-record", 1, Ct);
        Assert.Equal(["accuracy", "latency p95", "perplexity", "win rate"], list.Select(r => r.Name));
        Assert.All(list, r => Assert.Equal((EvaluationSource.Api, ds.Actor.DisplayName), (r.Source, r.RecordedBy)));
        Assert.Equal([true, false, false, true], list.Select(r => r.HigherIsBetter));
        Assert.Equal("%", list[0].Unit);
        var e = Assert.Single(await app.AuditEventsAsync(before));
        Assert.Equal("evaluation.recorded", e.Action);
        Assert.Contains("perplexity", e.Data);
    }

    [Theory]
    [InlineData(Roles.Reviewer)]
    [InlineData(Roles.Auditor)]
    [InlineData(null)]
    public async Task Only_data_scientists_and_admins_may_record(string? role)
    {
        var model = $"eval-role-{(role ?? "viewer").ToLowerInvariant()}";
        await ModelAsync(model, 1);
        var user = await app.CreateUserAsync(role is null ? [] : [role]);

        await Assert.ThrowsAsync<ForbiddenException>(() =>
            Evaluations.RecordAsync(user.Actor, model, 1, [new MetricInput("accuracy", 1)], EvaluationSource.Manual, Ct));

        Assert.Empty(await Evaluations.ListAsync(model, 1, Ct));
    }

    [Fact]
    public async Task Model_index_is_not_a_source_one_may_claim()
    {
        var ds = await ModelAsync("eval-claim", 1);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            Evaluations.RecordAsync(ds.Actor, "eval-claim", 1, [new MetricInput("accuracy", 1)], EvaluationSource.ModelIndex, Ct));
    }

    [Theory]
    [InlineData("accuracy", true)]
    [InlineData("exact_match", true)]
    [InlineData("eval_loss", false)]
    [InlineData("Perplexity", false)]
    [InlineData("WER", false)]
    [InlineData("latency-p95", false)]
    [InlineData("bits-per-byte", false)]
    [InlineData("f1", true)]
    [InlineData("terminology accuracy", true)]
    public void Direction_is_guessed_from_the_metric_name(string name, bool higherIsBetter)
    {
        Assert.Equal(higherIsBetter, MetricDirection.HigherIsBetter(name));
    }

    [Fact]
    public async Task Metrics_across_versions_give_one_series_per_metric_and_one_point_per_version()
    {
        var ds = await ModelAsync("eval-series", 4);
        async Task Record(int v, params MetricInput[] m) => await Evaluations.RecordAsync(ds.Actor, "eval-series", v, m, EvaluationSource.Api, Ct);
        await Record(1, new MetricInput("accuracy", 0.60, "MMLU"), new MetricInput("perplexity", 8.0));
        await Record(2, new MetricInput("accuracy", 0.65, "MMLU"));
        await Record(2, new MetricInput("accuracy", 0.66, "MMLU")); // A later result of the same version replaces its point.
        await Record(4, new MetricInput("accuracy", 0.70, "MMLU"), new MetricInput("perplexity", 6.5), new MetricInput("accuracy", 0.5, "HellaSwag"));
        await app.ExecuteSqlAsync("UPDATE \"Versions\" SET \"Stage\" = 'Production' WHERE \"Number\" = 2 AND \"ModelId\" = (SELECT \"Id\" FROM \"Models\" WHERE \"Name\" = 'eval-series')");

        var metrics = await Evaluations.ModelMetricsAsync("eval-series", Ct);

        Assert.Equal([1, 2, 4], metrics.Versions);
        Assert.Equal(2, metrics.ProductionVersion);
        Assert.Equal(["accuracy · HellaSwag", "accuracy · MMLU", "perplexity"], metrics.Series.Select(s => s.Label));
        var mmlu = metrics.Series.Single(s => s.Label == "accuracy · MMLU");
        Assert.Equal([new MetricPoint(1, 0.60), new MetricPoint(2, 0.66), new MetricPoint(4, 0.70)], mmlu.Points);
        Assert.False(metrics.Series.Single(s => s.Label == "perplexity").HigherIsBetter);
    }

    [Fact]
    public async Task Model_without_results_has_no_series()
    {
        await ModelAsync("eval-no-series", 2);

        var metrics = await Evaluations.ModelMetricsAsync("eval-no-series", Ct);

        Assert.Empty(metrics.Series);
        await Assert.ThrowsAsync<NotFoundException>(() => Evaluations.ModelMetricsAsync("eval-nobody", Ct));
    }
}
