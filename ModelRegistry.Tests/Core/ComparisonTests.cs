using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Comparison;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

public sealed class ComparisonTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("1,3,4", new[] { 1, 3, 4 })]
    [InlineData(" 3 , 1 ", new[] { 3, 1 })]
    [InlineData("2,2,5", new[] { 2, 5 })]
    public void Versions_parameter_lists_two_to_four_versions_first_is_baseline(string text, int[] expected)
    {
        Assert.Equal(expected, ComparisonService.ParseVersions(text));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("1,1")]
    [InlineData("1,2,3,4,5")]
    [InlineData("1,x")]
    [InlineData("0,1")]
    [InlineData("-1,2")]
    [InlineData("1,99999999999")]
    public void Bad_versions_parameter_is_refused(string? text)
    {
        Assert.Throws<ValidationFailedException>(() => ComparisonService.ParseVersions(text));
    }

    [Theory]
    [InlineData(0.05, true, Trend.Better)]
    [InlineData(-0.05, true, Trend.Worse)]
    [InlineData(-0.5, false, Trend.Better)]
    [InlineData(0.5, false, Trend.Worse)]
    [InlineData(0.0, true, Trend.Same)]
    [InlineData(1e-15, false, Trend.Same)]
    public void Trend_takes_the_direction_of_the_metric_into_account(double delta, bool higherIsBetter, Trend expected)
    {
        Assert.Equal(expected, ComparisonService.TrendOf(delta, 0.7, higherIsBetter));
    }

    [Fact]
    public void Files_compare_by_hash_against_the_first_version()
    {
        var files = ComparisonService.CompareFiles([1, 2],
        [
            [new VersionFile("config.json", "aa", 10), new VersionFile("model.safetensors", "bb", 100), new VersionFile("old.txt", "cc", 1)],
            [new VersionFile("config.json", "aa", 10), new VersionFile("model.safetensors", "dd", 100), new VersionFile("tokenizer.json", "ee", 5)],
        ]);

        Assert.Equal(["config.json", "model.safetensors", "old.txt", "tokenizer.json"], files.Select(f => f.Path));
        Assert.Equal([FileChange.Same, FileChange.Changed, FileChange.Removed, FileChange.Added], files.Select(f => f.Cells[1].Change));
        Assert.Equal([FileChange.Baseline, FileChange.Baseline, FileChange.Baseline, FileChange.Absent], files.Select(f => f.Cells[0].Change));
    }

    [Fact]
    public async Task Comparison_gives_metadata_metric_deltas_card_diffs_and_an_empty_file_list_when_no_version_has_files()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "cmp-model");
        for (var i = 0; i < 3; i++)
        {
            await app.CreateVersionAsync(ds, "cmp-model", new ModelRegistry.Core.Versions.VersionInput(Source: $"run {i + 1}", ParentVersion: i == 0 ? null : i));
        }

        var evaluations = app.Get<EvaluationService>();
        await evaluations.RecordAsync(ds.Actor, "cmp-model", 1, [new("accuracy", 0.70), new("perplexity", 6.0)], EvaluationSource.Api, Ct);
        await evaluations.RecordAsync(ds.Actor, "cmp-model", 3, [new("accuracy", 0.65), new("perplexity", 5.5), new("f1", 0.8)], EvaluationSource.Api, Ct);
        await app.Get<CardService>().SaveAsync(ds.Actor, "cmp-model", 1, "# Card\n## Evaluation\nold\n", null, Ct);
        await app.Get<CardService>().SaveAsync(ds.Actor, "cmp-model", 3, "# Card\n## Evaluation\nnew\n", null, Ct);

        var comparison = await app.Get<ComparisonService>().CompareAsync("cmp-model", [1, 3, 2], Ct);

        Assert.Equal([1, 3, 2], comparison.Versions.Select(v => v.Number));
        Assert.Equal(2, comparison.Versions[1].ParentVersion);
        Assert.NotNull(comparison.Files);
        Assert.Empty(comparison.Files);
        var accuracy = comparison.Metrics.Single(m => m.Key.Name == "accuracy");
        Assert.Equal(Trend.Baseline, accuracy.Cells[0].Trend);
        Assert.Equal(Trend.Worse, accuracy.Cells[1].Trend);
        Assert.Equal(-0.05, accuracy.Cells[1].Delta!.Value, 10);
        Assert.Equal(Trend.NotComparable, accuracy.Cells[2].Trend);
        Assert.Equal(Trend.Better, comparison.Metrics.Single(m => m.Key.Name == "perplexity").Cells[1].Trend);
        Assert.Equal(Trend.NotComparable, comparison.Metrics.Single(m => m.Key.Name == "f1").Cells[1].Trend);
        Assert.Null(comparison.Cards[0].DiffFromFirst);
        Assert.Equal((1, 1), (comparison.Cards[1].DiffFromFirst!.Added, comparison.Cards[1].DiffFromFirst!.Removed));
        Assert.Null(comparison.Cards[2].Revision);
        Assert.Equal(3, comparison.Cards[2].DiffFromFirst!.Removed);
        await Assert.ThrowsAsync<NotFoundException>(() => app.Get<ComparisonService>().CompareAsync("cmp-model", [1, 9], Ct));
    }

    [Fact]
    public async Task A_registered_file_index_fills_the_files_section()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "cmp-files");
        await app.CreateVersionAsync(ds, "cmp-files");
        await app.CreateVersionAsync(ds, "cmp-files");
        var service = new ComparisonService(app.Get<ModelRegistry.Core.Versions.VersionService>(), app.Get<EvaluationService>(),
            app.Get<CardService>(), [new FakeFiles()]);

        var comparison = await service.CompareAsync("cmp-files", [1, 2], Ct);

        var file = Assert.Single(comparison.Files!);
        Assert.Equal(FileChange.Changed, file.Cells[1].Change);
    }

    private sealed class FakeFiles : IVersionFileIndex
    {
        public Task<IReadOnlyList<VersionFile>> ListFilesAsync(string modelName, int number, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<VersionFile>>([new VersionFile("model.gguf", $"sha-of-v{number}", 42)]);
    }
}
