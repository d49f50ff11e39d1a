using Bunit;
using ModelRegistry.Core.Comparison;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Web.Components.Pages.Comparison.Components;

namespace ModelRegistry.Tests.Components;

/// <summary>The comparison's metric table: values, deltas against the first version, coloured by better or worse.</summary>
public sealed class CompareMetricsTableTests : IAsyncDisposable
{
    private readonly BunitContext _ctx = ComponentTestContext.Create();

    public ValueTask DisposeAsync() => _ctx.DisposeAsync();

    private static MetricComparison Metric(string name, bool higherIsBetter, string? unit, params MetricCell[] cells) =>
        new(new MetricKey(name, "MMLU", "test"), unit, higherIsBetter, cells);

    [Fact]
    public void Deltas_are_signed_and_coloured_by_whether_they_are_better()
    {
        IReadOnlyList<MetricComparison> metrics =
        [
            Metric("accuracy", true, "%", new(1, 70, null, Trend.Baseline), new(3, 72.5, 2.5, Trend.Better), new(4, 69, -1, Trend.Worse)),
            Metric("perplexity", false, null, new(1, 6.2, null, Trend.Baseline), new(3, 5.9, -0.3, Trend.Better), new(4, 6.2, 0, Trend.Same)),
            Metric("f1", true, null, new(1, null, null, Trend.Baseline), new(3, 0.8, null, Trend.NotComparable), new(4, null, null, Trend.NotComparable)),
        ];

        var cut = _ctx.Render<CompareMetricsTable>(p => p.Add(x => x.Versions, [1, 3, 4]).Add(x => x.Metrics, metrics));

        Assert.Equal(["Metric", "v1 (baseline)", "v3", "v4"], cut.FindAll("thead th").Select(th => th.TextContent.Trim()));
        var rows = cut.FindAll("tbody tr");
        var accuracy = rows.Single(r => r.TextContent.Contains("accuracy", StringComparison.Ordinal));
        var cells = accuracy.QuerySelectorAll("td");
        Assert.Contains("70 %", cells[0].TextContent);
        Assert.Null(cells[0].QuerySelector(".delta"));
        Assert.Equal("▲ +2.5", cells[1].QuerySelector(".delta-better")?.TextContent.Trim());
        Assert.Equal("▼ −1", cells[2].QuerySelector(".delta-worse")?.TextContent.Trim());

        var perplexity = rows.Single(r => r.TextContent.Contains("perplexity", StringComparison.Ordinal)).QuerySelectorAll("td");
        Assert.Equal("▲ −0.3", perplexity[1].QuerySelector(".delta-better")?.TextContent.Trim());
        Assert.Equal("= ±0", perplexity[2].QuerySelector(".delta-same")?.TextContent.Trim());
        Assert.Contains("lower is better", rows.Single(r => r.TextContent.Contains("perplexity", StringComparison.Ordinal)).TextContent);

        var f1 = rows.Single(r => r.TextContent.Contains("f1", StringComparison.Ordinal)).QuerySelectorAll("td");
        Assert.Equal("—", f1[0].TextContent.Trim());
        Assert.Null(f1[1].QuerySelector(".delta"));
    }

    [Fact]
    public void No_metrics_says_so()
    {
        var cut = _ctx.Render<CompareMetricsTable>(p => p.Add(x => x.Versions, [1, 2]).Add(x => x.Metrics, []));

        Assert.Contains("None of these versions has evaluation results", cut.Markup);
        Assert.Empty(cut.FindAll("table"));
    }
}
