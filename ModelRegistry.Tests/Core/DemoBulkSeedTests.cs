using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Artifacts.Headers;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Demo;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary><c>seed-demo --models N</c>: bulk models look like real ones — files, a card, metrics across versions.</summary>
public sealed class DemoBulkSeedTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public Task Bulk_models_have_downloadable_files_a_card_that_meets_the_policy_and_metrics_that_chart() => AssertBulkAsync(app);

    [Fact]
    public async Task Bulk_models_on_PostgreSQL_have_the_same_files_card_and_metrics()
    {
        await using var postgres = new RegistryApp
        {
            Database = ModelRegistry.Core.DatabaseProvider.Postgres,
            ConnectionString = ModelRegistry.Tests.Infrastructure.PostgresServer.Instance.CreateDatabase("bulk_seed"),
        };
        await AssertBulkAsync(postgres);
    }

    private static async Task AssertBulkAsync(RegistryApp app)
    {
        await app.Get<DemoSeeder>().SeedBulkAsync(3, 4, Ct);
        await using var db = await app.DbAsync();
        var model = await db.Models.Where(m => m.Name.StartsWith("bulk-")).OrderBy(m => m.Name).Select(m => m.Name).FirstAsync(Ct);

        var files = await app.Get<ArtifactService>().ListAsync(model, 4, Ct);
        Assert.Equal(["README.md", "config.json"], files.Select(f => f.Path).Order(StringComparer.Ordinal));
        await using (var config = await app.Get<ArtifactService>().OpenAsync(model, 4, "config.json", ct: Ct))
        {
            using var copy = new MemoryStream();
            await config.Content.CopyToAsync(copy, Ct);
            Assert.Contains("LlamaForCausalLM", System.Text.Encoding.UTF8.GetString(copy.ToArray()), StringComparison.Ordinal);
        }

        Assert.Equal(ArtifactKind.ModelConfig, files.Single(f => f.Path == "config.json").Kind);
        var card = await app.Get<CardService>().GetAsync(model, 4, ct: Ct);
        foreach (var section in new[] { "## Intended use", "## Limitations", "## Training data", "## Evaluation" })
        {
            Assert.Contains(section, card!.Markdown, StringComparison.Ordinal);
        }

        var metrics = await app.Get<EvaluationService>().ModelMetricsAsync(model, Ct);
        Assert.Equal([1, 2, 3, 4], metrics.Versions);
        Assert.Equal(4, metrics.Series.Count);
        var accuracy = metrics.Series.Single(s => s.Key.Name == "accuracy").Points;
        Assert.True(accuracy[^1].Value > accuracy[0].Value, "accuracy improves across versions");

        // A bulk version can be requested for Production: every default gate passes.
        var ds = await app.CreateUserAsync(ModelRegistry.Core.Security.Roles.DataScientist);
        var request = await app.RequestAsync(ds, model, 4, Stage.Production);
        Assert.True(request.GatesPassed);
        Assert.Equal((await app.Get<VersionService>().ManifestAsync(model, 4, Ct)).Digest,
            (await app.Get<VersionService>().GetAsync(model, 4, Ct)).Digest);
    }
}
