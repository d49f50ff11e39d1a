using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Demo;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>seed-demo's showcase comes with model cards and evaluation results, so the demo's charts are not empty.</summary>
public sealed class DemoCardSeedTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Showcase_versions_have_cards_with_the_required_sections_and_charted_metrics()
    {
        await app.InitializeAsync();
        await app.Get<DemoSeeder>().SeedShowcaseAsync(Ct);

        var cards = app.Get<CardService>();
        var v2 = await cards.GetAsync("support-assistant", 2, ct: Ct);
        Assert.Empty(CardSections.Missing(v2!.Markdown));
        Assert.Empty(CardFrontMatter.Parse(v2.Markdown).Problems);
        // v2's card began as v1's copy; the seeder's save is its second revision.
        Assert.Equal(2, v2.Revision.Revision);

        var metrics = await app.Get<EvaluationService>().ModelMetricsAsync("support-assistant", Ct);
        Assert.Equal([1, 2, 3], metrics.Versions);
        Assert.Equal(2, metrics.Series.Count);
        Assert.All(metrics.Series, s => Assert.Equal(3, s.Points.Count));
        Assert.Contains(metrics.Series, s => s.Key.Name == "accuracy" && s.Key.Dataset == "MMLU");
    }
}
