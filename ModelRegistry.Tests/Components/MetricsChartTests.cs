using System.Text.Json;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;
using ModelRegistry.Web.Components.Pages.Evaluation.Components;

namespace ModelRegistry.Tests.Components;

/// <summary>What the metric chart asks our ApexCharts interop to draw.</summary>
public sealed class MetricsChartTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    [Fact]
    public async Task Chart_gets_a_series_per_metric_a_category_per_version_and_the_production_mark()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "chart-model");
        var evaluations = app.Get<EvaluationService>();
        for (var v = 1; v <= 3; v++)
        {
            await app.CreateVersionAsync(ds, "chart-model");
            await evaluations.RecordAsync(ds.Actor, "chart-model", v, [new MetricInput("accuracy", 0.6 + v / 100.0, "MMLU"), new MetricInput("latency", 100 - v, Unit: "ms")],
                EvaluationSource.Api, Ct);
        }

        await app.ExecuteSqlAsync("UPDATE Versions SET Stage = 'Production' WHERE Number = 2 AND ModelId = (SELECT Id FROM Models WHERE Name = 'chart-model')");
        await using var ctx = ComponentTestContext.Create();
        ctx.Services.AddSingleton(evaluations);
        var module = ctx.JSInterop.SetupModule("./js/apex-chart.js");
        module.SetupVoid("render", _ => true).SetVoidResult();

        var cut = ctx.Render<MetricsChart>(p => p.Add(x => x.ModelName, "chart-model"));

        cut.WaitForAssertion(() => Assert.Single(module.Invocations["render"]));
        var options = JsonSerializer.SerializeToElement(module.Invocations["render"].Single().Arguments[1]);
        Assert.Equal(["v1", "v2", "v3"], options.GetProperty("xaxis").GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
        var series = options.GetProperty("series").EnumerateArray().ToList();
        Assert.Equal(["accuracy · MMLU", "latency"], series.Select(s => s.GetProperty("name").GetString()));
        Assert.Equal([0.61, 0.62, 0.63], series[0].GetProperty("data").EnumerateArray().Select(d => Math.Round(d.GetDouble(), 4)));
        Assert.Equal("v2", options.GetProperty("annotations").GetProperty("xaxis")[0].GetProperty("x").GetString());
        Assert.Equal("ms", options.GetProperty("registry").GetProperty("units")[1].GetString());
        Assert.Contains("v2 in production", cut.Markup);
    }

    [Fact]
    public async Task Model_without_results_shows_how_to_get_some_and_draws_nothing()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "chart-empty");
        await using var ctx = ComponentTestContext.Create();
        ctx.Services.AddSingleton(app.Get<EvaluationService>());

        var cut = ctx.Render<MetricsChart>(p => p.Add(x => x.ModelName, "chart-empty"));

        cut.WaitForAssertion(() => Assert.Contains("No evaluation results yet", cut.Markup));
        Assert.Empty(cut.FindAll(".apex-chart"));
    }

    [Fact]
    public void Each_metric_family_gets_one_axis_scores_together_perplexity_and_each_unit_on_their_own()
    {
        static MetricSeries S(string name, string? unit, params double[] values) =>
            new(new MetricKey(name, "set", "test"), unit, true, values.Select((v, i) => new MetricPoint(i + 1, v)).ToList());
        var accuracy = S("accuracy", null, 0.61, 0.7);
        var f1 = S("f1", null, 0.4, 0.55);
        var perplexity = S("perplexity", null, 8.1, 7.2);
        var loss = S("eval loss", null, 0.9, 0.7); // under 1, but a loss: not a score
        var latency = S("latency p95", "ms", 420, 380);
        var winRate = S("win rate", "%", 45, 52);

        var axes = MetricsChart.Axes([accuracy, perplexity, latency, f1, loss, winRate]);

        Assert.Equal(["Score (0–1)", "Perplexity", "ms", "Loss", "Percent (%)"], axes.Select(a => a.Title));
        Assert.Equal([accuracy, f1], axes[0].Series);
        Assert.Equal((0d, 1d), (axes[0].Min, axes[0].Max));
        Assert.Null(axes[1].Min);
    }

    [Fact]
    public async Task Every_axis_is_drawn_names_its_series_and_the_legend_toggles_lines()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "chart-axes");
        var evaluations = app.Get<EvaluationService>();
        for (var v = 1; v <= 2; v++)
        {
            await app.CreateVersionAsync(ds, "chart-axes");
            await evaluations.RecordAsync(ds.Actor, "chart-axes", v,
                [new MetricInput("accuracy", 0.6 + v / 100.0), new MetricInput("f1", 0.5), new MetricInput("perplexity", 9 - v)], EvaluationSource.Api, Ct);
        }

        await using var ctx = ComponentTestContext.Create();
        ctx.Services.AddSingleton(evaluations);
        var module = ctx.JSInterop.SetupModule("./js/apex-chart.js");
        module.SetupVoid("render", _ => true).SetVoidResult();

        var cut = ctx.Render<MetricsChart>(p => p.Add(x => x.ModelName, "chart-axes"));

        cut.WaitForAssertion(() => Assert.Single(module.Invocations["render"]));
        var options = JsonSerializer.SerializeToElement(module.Invocations["render"].Single().Arguments[1]);
        var yaxis = options.GetProperty("yaxis").EnumerateArray().ToList();
        Assert.Equal(2, yaxis.Count);
        Assert.All(yaxis, a => Assert.True(a.GetProperty("show").GetBoolean()));
        Assert.Equal(["accuracy", "f1"], yaxis[0].GetProperty("seriesName").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal(1, yaxis[0].GetProperty("max").GetDouble());
        Assert.Equal(["perplexity"], yaxis[1].GetProperty("seriesName").EnumerateArray().Select(n => n.GetString()));
        Assert.True(yaxis[1].GetProperty("opposite").GetBoolean());
        Assert.False(yaxis[1].TryGetProperty("max", out _));
        Assert.True(options.GetProperty("legend").GetProperty("onItemClick").GetProperty("toggleDataSeries").GetBoolean());
        Assert.True(options.GetProperty("tooltip").GetProperty("shared").GetBoolean());
    }
}
