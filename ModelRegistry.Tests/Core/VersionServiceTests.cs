using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

public sealed class VersionServiceTests(RegistryApp app) : VersionServiceTestsCases<RegistryApp>(app);

/// <summary>The same cases on PostgreSQL.</summary>
public sealed class VersionServiceTestsOnPostgres(PostgresRegistryApp app) : VersionServiceTestsCases<PostgresRegistryApp>(app);

public abstract class VersionServiceTestsCases<TApp>(TApp app) : IClassFixture<TApp> where TApp : RegistryApp
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string GoodSha = VersionServiceTestData.GoodSha;

    private VersionService Versions => app.Get<VersionService>();

    private async Task<TestUser> ModelWithOwnerAsync(string name)
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, name);
        return ds;
    }

    [Fact]
    public async Task Versions_are_numbered_1_2_3_per_model()
    {
        var ds = await ModelWithOwnerAsync("ver-numbers");

        var numbers = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            numbers.Add((await Versions.CreateAsync(ds.Actor, "ver-numbers", new VersionInput(), Ct)).Number);
        }

        Assert.Equal([1, 2, 3], numbers);
        var listed = await Versions.ListAsync("ver-numbers", ct: Ct);
        Assert.Equal(3, listed.Total);
        Assert.Equal([3, 2, 1], listed.Items.Select(v => v.Number));
    }

    [Fact]
    public async Task Version_numbers_of_different_models_are_independent()
    {
        var ds = await ModelWithOwnerAsync("ver-indep-a");
        await app.RegisterModelAsync(ds, "ver-indep-b");

        await Versions.CreateAsync(ds.Actor, "ver-indep-a", new VersionInput(), Ct);
        await Versions.CreateAsync(ds.Actor, "ver-indep-a", new VersionInput(), Ct);
        var firstOfB = await Versions.CreateAsync(ds.Actor, "ver-indep-b", new VersionInput(), Ct);
        var thirdOfA = await Versions.CreateAsync(ds.Actor, "ver-indep-a", new VersionInput(), Ct);

        Assert.Equal(1, firstOfB.Number);
        Assert.Equal(3, thirdOfA.Number);
    }

    [Fact]
    public async Task Number_of_a_removed_version_is_never_handed_out_again()
    {
        var ds = await ModelWithOwnerAsync("ver-no-reuse");
        await Versions.CreateAsync(ds.Actor, "ver-no-reuse", new VersionInput(), Ct);
        await Versions.CreateAsync(ds.Actor, "ver-no-reuse", new VersionInput(), Ct);

        // There is no delete yet; an operator removing the newest row by hand is the worst case.
        await app.ExecuteSqlAsync(
            "DELETE FROM \"Versions\" WHERE \"Number\" = 2 AND \"ModelId\" = (SELECT \"Id\" FROM \"Models\" WHERE \"Name\" = 'ver-no-reuse')");
        var next = await Versions.CreateAsync(ds.Actor, "ver-no-reuse", new VersionInput(), Ct);

        Assert.Equal(3, next.Number);
    }

    [Fact]
    public async Task Concurrent_creates_get_distinct_consecutive_numbers()
    {
        var ds = await ModelWithOwnerAsync("ver-concurrent");

        var created = await Task.WhenAll(Enumerable.Range(0, 6)
            .Select(_ => Versions.CreateAsync(ds.Actor, "ver-concurrent", new VersionInput(), Ct)));

        Assert.Equal([1, 2, 3, 4, 5, 6], created.Select(v => v.Number).Order());
    }

    [Fact]
    public async Task Version_keeps_its_metadata_and_lineage()
    {
        var ds = await ModelWithOwnerAsync("ver-metadata");
        await Versions.CreateAsync(ds.Actor, "ver-metadata", new VersionInput(), Ct);

        var created = await Versions.CreateAsync(ds.Actor, "ver-metadata", new VersionInput(
            Source: "git:abc123",
            Architecture: "LlamaForCausalLM",
            BaseModel: "meta-llama/Llama-3.1-8B",
            ParameterCount: 8_030_261_248,
            ContextLength: 131_072,
            Quantization: "Q4_K_M",
            Format: WeightFormat.Gguf,
            License: "llama3.1",
            Tags: ["Chat"],
            ParentVersion: 1,
            Datasets: [new DatasetInfo("ultrachat", "v2", "hf://datasets/ultrachat", GoodSha.ToUpperInvariant(), "train")]), Ct);

        var read = await Versions.GetAsync("ver-metadata", created.Number, Ct);
        Assert.Equal(2, read.Number);
        Assert.Equal(Stage.None, read.Stage);
        Assert.Equal(ds.Email, read.CreatedBy);
        Assert.Equal("git:abc123", read.Source);
        Assert.Equal(8_030_261_248, read.ParameterCount);
        Assert.Equal(131_072, read.ContextLength);
        Assert.Equal(WeightFormat.Gguf, read.Format);
        Assert.Equal(["chat"], read.Tags);
        Assert.Equal(1, read.ParentVersion);
        var dataset = Assert.Single(read.Datasets);
        Assert.Equal(new DatasetInfo("ultrachat", "v2", "hf://datasets/ultrachat", GoodSha, "train"), dataset);
    }

    [Fact]
    public async Task Parent_version_that_does_not_exist_is_refused()
    {
        var ds = await ModelWithOwnerAsync("ver-parent-missing");
        await Versions.CreateAsync(ds.Actor, "ver-parent-missing", new VersionInput(), Ct);

        var error = await Assert.ThrowsAsync<ValidationFailedException>(() =>
            Versions.CreateAsync(ds.Actor, "ver-parent-missing", new VersionInput(ParentVersion: 5), Ct));

        Assert.True(error.Errors.ContainsKey("parentVersion"));
        Assert.Equal(1, (await Versions.ListAsync("ver-parent-missing", ct: Ct)).Total);
    }

    [Fact]
    public async Task Parent_version_of_another_model_is_refused()
    {
        var ds = await ModelWithOwnerAsync("ver-parent-other-a");
        await app.RegisterModelAsync(ds, "ver-parent-other-b");
        await Versions.CreateAsync(ds.Actor, "ver-parent-other-a", new VersionInput(), Ct);

        await Assert.ThrowsAsync<ValidationFailedException>(() =>
            Versions.CreateAsync(ds.Actor, "ver-parent-other-b", new VersionInput(ParentVersion: 1), Ct));
    }

    [Fact]
    public async Task Refused_version_does_not_use_up_a_number()
    {
        var ds = await ModelWithOwnerAsync("ver-refused-number");
        await Assert.ThrowsAsync<ValidationFailedException>(() =>
            Versions.CreateAsync(ds.Actor, "ver-refused-number", new VersionInput(ParentVersion: 1), Ct));

        var first = await Versions.CreateAsync(ds.Actor, "ver-refused-number", new VersionInput(), Ct);

        Assert.Equal(1, first.Number);
    }

    [Fact]
    public async Task Update_cannot_make_a_version_its_own_or_a_later_versions_child()
    {
        var ds = await ModelWithOwnerAsync("ver-parent-cycle");
        await Versions.CreateAsync(ds.Actor, "ver-parent-cycle", new VersionInput(), Ct);
        await Versions.CreateAsync(ds.Actor, "ver-parent-cycle", new VersionInput(), Ct);

        await Assert.ThrowsAsync<ValidationFailedException>(() =>
            Versions.UpdateAsync(ds.Actor, "ver-parent-cycle", 1, new VersionInput(ParentVersion: 1), Ct));
        await Assert.ThrowsAsync<ValidationFailedException>(() =>
            Versions.UpdateAsync(ds.Actor, "ver-parent-cycle", 1, new VersionInput(ParentVersion: 2), Ct));
        var updated = await Versions.UpdateAsync(ds.Actor, "ver-parent-cycle", 2, new VersionInput(ParentVersion: 1), Ct);

        Assert.Equal(1, updated.ParentVersion);
        Assert.Null((await Versions.GetAsync("ver-parent-cycle", 1, Ct)).ParentVersion);
    }

    [Theory]
    [MemberData(nameof(VersionServiceTestData.InvalidMetadata), MemberType = typeof(VersionServiceTestData))]
    public async Task Invalid_metadata_is_refused_naming_the_field(string field, VersionInput input)
    {
        var model = $"ver-invalid-{Guid.NewGuid():N}"[..24];
        var ds = await ModelWithOwnerAsync(model);

        var error = await Assert.ThrowsAsync<ValidationFailedException>(() => Versions.CreateAsync(ds.Actor, model, input, Ct));

        Assert.Contains(field, error.Errors.Keys);
        Assert.Equal(0, (await Versions.ListAsync(model, ct: Ct)).Total);
    }

    [Fact]
    public async Task Invalid_metadata_on_update_leaves_the_version_as_it_was()
    {
        var ds = await ModelWithOwnerAsync("ver-invalid-update");
        await Versions.CreateAsync(ds.Actor, "ver-invalid-update", new VersionInput(ParameterCount: 7_000_000_000), Ct);

        await Assert.ThrowsAsync<ValidationFailedException>(() =>
            Versions.UpdateAsync(ds.Actor, "ver-invalid-update", 1, new VersionInput(ParameterCount: -7), Ct));

        Assert.Equal(7_000_000_000, (await Versions.GetAsync("ver-invalid-update", 1, Ct)).ParameterCount);
    }

    [Fact]
    public async Task Absolute_dataset_uris_of_common_schemes_are_accepted()
    {
        var ds = await ModelWithOwnerAsync("ver-uris");

        var created = await Versions.CreateAsync(ds.Actor, "ver-uris", new VersionInput(Datasets:
        [
            new DatasetInfo("a", Uri: "https://example.com/data.jsonl"),
            new DatasetInfo("b", Uri: "s3://bucket/key/train.parquet"),
            new DatasetInfo("c", Uri: "hf://datasets/HuggingFaceH4/ultrachat_200k"),
        ]), Ct);

        Assert.Equal(3, created.Datasets.Count);
    }

    [Fact]
    public async Task Version_of_an_unknown_model_is_not_found()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);

        await Assert.ThrowsAsync<NotFoundException>(() => Versions.CreateAsync(ds.Actor, "ver-no-model", new VersionInput(), Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => Versions.ListAsync("ver-no-model", ct: Ct));
    }

    [Fact]
    public async Task Unknown_version_number_is_not_found()
    {
        var ds = await ModelWithOwnerAsync("ver-unknown-number");
        await Versions.CreateAsync(ds.Actor, "ver-unknown-number", new VersionInput(), Ct);

        await Assert.ThrowsAsync<NotFoundException>(() => Versions.GetAsync("ver-unknown-number", 2, Ct));
        await Assert.ThrowsAsync<NotFoundException>(() =>
            Versions.UpdateAsync(ds.Actor, "ver-unknown-number", 2, new VersionInput(Description: "x"), Ct));
    }
}

/// <summary>Theory data of <see cref="VersionServiceTestsCases{TApp}"/>, outside the generic class so each provider shares it.</summary>
public static class VersionServiceTestData
{
    internal const string GoodSha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    public static TheoryData<string, VersionInput> InvalidMetadata => new()
    {
        { "parameterCount", new VersionInput(ParameterCount: -1) },
        { "parameterCount", new VersionInput(ParameterCount: VersionService.MaxParameterCount + 1) },
        { "contextLength", new VersionInput(ContextLength: 0) },
        { "contextLength", new VersionInput(ContextLength: -4096) },
        { "parentVersion", new VersionInput(ParentVersion: 0) },
        { "format", new VersionInput(Format: (WeightFormat)42) },
        { "datasets[0].sha256", new VersionInput(Datasets: [new DatasetInfo("d", Sha256: "abc123")]) },
        { "datasets[0].sha256", new VersionInput(Datasets: [new DatasetInfo("d", Sha256: new string('g', 64))]) },
        { "datasets[0].sha256", new VersionInput(Datasets: [new DatasetInfo("d", Sha256: GoodSha + "0")]) },
        { "datasets[0].uri", new VersionInput(Datasets: [new DatasetInfo("d", Uri: "data/train.jsonl")]) },
        { "datasets[0].uri", new VersionInput(Datasets: [new DatasetInfo("d", Uri: "/mnt/data/train.jsonl")]) },
        { "datasets[0].uri", new VersionInput(Datasets: [new DatasetInfo("d", Uri: "javascript:alert(1)")]) },
        { "datasets[0].uri", new VersionInput(Datasets: [new DatasetInfo("d", Uri: "file:///etc/passwd")]) },
        { "datasets[1].name", new VersionInput(Datasets: [new DatasetInfo("d"), new DatasetInfo(" ")]) },
        { "source", new VersionInput(Source: "tab\tinside") }, // Any control character; NUL can't go in a test report.
        { "tags", new VersionInput(Tags: [new string('t', 51)]) },
    };
}
