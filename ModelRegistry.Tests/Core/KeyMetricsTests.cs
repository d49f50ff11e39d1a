using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

public sealed class KeyMetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Requested_version_is_compared_with_production_by_each_metrics_direction()
    {
        await using var app = new RegistryApp();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "reviewed");
        await app.CreateVersionAsync(ds, "reviewed");
        await app.CreateVersionAsync(ds, "reviewed");
        var evaluations = app.Get<EvaluationService>();
        await evaluations.RecordAsync(ds.Actor, "reviewed", 1,
            [new MetricInput("accuracy", 0.70, "MMLU"), new MetricInput("p95 latency", 400, Unit: "ms", HigherIsBetter: false)], EvaluationSource.Api, Ct);
        await evaluations.RecordAsync(ds.Actor, "reviewed", 2,
            [new MetricInput("accuracy", 0.74, "MMLU"), new MetricInput("p95 latency", 450, Unit: "ms", HigherIsBetter: false),
             new MetricInput("toxicity rate", 0.01, HigherIsBetter: false)], EvaluationSource.Api, Ct);

        var metrics = await evaluations.CompareWithAsync("reviewed", 2, baseline: 1, Ct);

        var accuracy = metrics.Single(m => m.Key.Name == "accuracy");
        Assert.Equal(0.04, accuracy.Delta!.Value, 10);
        Assert.True(accuracy.Better);
        var latency = metrics.Single(m => m.Key.Name == "p95 latency");
        Assert.Equal(50, latency.Delta);
        Assert.False(latency.Better);
        var toxicity = metrics.Single(m => m.Key.Name == "toxicity rate");
        Assert.Null(toxicity.Baseline);
        Assert.Null(toxicity.Better);
    }

    [Fact]
    public async Task Without_a_production_version_there_is_nothing_to_compare_with()
    {
        await using var app = new RegistryApp();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "first-ever");
        await app.CreateVersionAsync(ds, "first-ever");
        await app.Get<EvaluationService>().RecordAsync(ds.Actor, "first-ever", 1, [new MetricInput("accuracy", 0.5)], EvaluationSource.Api, Ct);

        var metrics = await app.Get<EvaluationService>().CompareWithAsync("first-ever", 1, baseline: null, Ct);

        var only = Assert.Single(metrics);
        Assert.Null(only.Delta);
    }
}
