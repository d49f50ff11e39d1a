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
}
