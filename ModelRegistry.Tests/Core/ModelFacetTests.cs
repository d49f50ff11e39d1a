using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Teams;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

public sealed class ModelFacetTests(RegistryApp app) : ModelFacetTestsCases<RegistryApp>(app);

/// <summary>The same cases on PostgreSQL (tags are an array there, JSON in SQLite).</summary>
public sealed class ModelFacetTestsOnPostgres(PostgresRegistryApp app) : ModelFacetTestsCases<PostgresRegistryApp>(app);

/// <summary>Facet counts, the headline version's filters and the sorts of the model list (docs/design.md, "Model list facets").</summary>
public abstract class ModelFacetTestsCases<TApp>(TApp app) : IClassFixture<TApp> where TApp : RegistryApp
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ModelService Models => app.Get<ModelService>();

    /// <summary>
    /// fct-one: two versions, none in Production, so v2 (apache-2.0, safetensors, 7B) is its headline although v1 is mit/gguf.
    /// fct-two: v1 (apache-2.0, safetensors, 1B) in Production is its headline, although v2 (mit, gguf) is newer.
    /// fct-three: no versions, so no licence, format or base model.
    /// </summary>
    private async Task SeedAsync()
    {
        if ((await Models.ListAsync(new ModelQuery(Search: "fct-"), Ct)).Total > 0)
        {
            return;
        }

        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "fct-one", "text-generation", null, "chat");
        await app.RegisterModelAsync(ds, "fct-two", "embeddings", null, "chat", "small");
        await app.RegisterModelAsync(ds, "fct-three", "text-generation");
        await app.CreateVersionAsync(ds, "fct-one", new VersionInput(License: "mit", Format: WeightFormat.Gguf, BaseModel: "org/base-a", ParameterCount: 3));
        await app.CreateVersionAsync(ds, "fct-one", new VersionInput(License: "apache-2.0", Format: WeightFormat.Safetensors,
            BaseModel: "org/base-b", ParameterCount: 7_000_000_000));
        await app.CreateVersionAsync(ds, "fct-two", new VersionInput(License: "apache-2.0", Format: WeightFormat.Safetensors,
            BaseModel: "org/base-b", ParameterCount: 1_000_000_000));
        await app.CreateVersionAsync(ds, "fct-two", new VersionInput(License: "mit", Format: WeightFormat.Gguf, ParameterCount: 9_000_000_000));
        await app.ExecuteSqlAsync("UPDATE \"Versions\" SET \"Stage\" = 'Production' WHERE \"Number\" = 1 AND \"ModelId\" = "
            + "(SELECT \"Id\" FROM \"Models\" WHERE \"Name\" = 'fct-two')");
    }

    private static Dictionary<string, Dictionary<string, int>> Counts(IReadOnlyList<ModelFacet> facets) =>
        facets.ToDictionary(f => f.Key, f => f.Values.ToDictionary(v => v.Value, v => v.Count));

    [Fact]
    public async Task Facets_count_the_models_of_the_search_by_their_headline_version()
    {
        await SeedAsync();

        var counts = Counts(await Models.FacetsAsync(new ModelQuery(Search: "fct-"), Ct));

        Assert.Equal(ModelFacetKeys.All, counts.Keys);
        Assert.Equal(new Dictionary<string, int> { ["text-generation"] = 2, ["embeddings"] = 1 }, counts[ModelFacetKeys.Task]);
        Assert.Equal(new Dictionary<string, int> { ["chat"] = 2, ["small"] = 1 }, counts[ModelFacetKeys.Tag]);
        Assert.Equal(new Dictionary<string, int> { ["apache-2.0"] = 2 }, counts[ModelFacetKeys.License]);
        Assert.Equal(new Dictionary<string, int> { ["safetensors"] = 2 }, counts[ModelFacetKeys.Format]);
        Assert.Equal(new Dictionary<string, int> { ["org/base-b"] = 2 }, counts[ModelFacetKeys.BaseModel]);
        Assert.Equal(new Dictionary<string, int> { ["Production"] = 1 }, counts[ModelFacetKeys.Stage]);
        Assert.Empty(counts[ModelFacetKeys.Team]);
    }

    [Fact]
    public async Task A_facet_is_counted_without_its_own_filter_and_with_all_the_others()
    {
        await SeedAsync();
        var query = new ModelQuery(Search: "fct-", Task: "embeddings");

        var counts = Counts(await Models.FacetsAsync(query, Ct));
        var list = await Models.ListAsync(query, Ct);

        Assert.Equal(["fct-two"], list.Items.Select(m => m.Name));
        Assert.Equal(new Dictionary<string, int> { ["text-generation"] = 2, ["embeddings"] = 1 }, counts[ModelFacetKeys.Task]);
        Assert.Equal(new Dictionary<string, int> { ["chat"] = 1, ["small"] = 1 }, counts[ModelFacetKeys.Tag]);
        Assert.Equal(new Dictionary<string, int> { ["apache-2.0"] = 1 }, counts[ModelFacetKeys.License]);
    }

    [Fact]
    public async Task Licence_format_and_base_model_filters_match_the_headline_version_only()
    {
        await SeedAsync();

        // Both models have a mit/gguf version, but neither is the headline one.
        Assert.Equal(0, (await Models.ListAsync(new ModelQuery(Search: "fct-", License: "mit"), Ct)).Total);
        Assert.Equal(0, (await Models.ListAsync(new ModelQuery(Search: "fct-", Format: WeightFormat.Gguf), Ct)).Total);
        var apache = await Models.ListAsync(new ModelQuery(Search: "fct-", License: "apache-2.0", Format: WeightFormat.Safetensors,
            BaseModel: "org/base-b", Sort: ModelSort.Name, Descending: false), Ct);
        Assert.Equal(["fct-one", "fct-two"], apache.Items.Select(m => m.Name));
        Assert.Equal([7_000_000_000L, 1_000_000_000L], apache.Items.Select(m => m.ParameterCount!.Value));
        Assert.All(apache.Items, m => Assert.Equal("apache-2.0", m.License));
    }

    [Theory]
    [InlineData(true, new[] { "fct-one", "fct-two", "fct-three" })]
    [InlineData(false, new[] { "fct-two", "fct-one", "fct-three" })]
    public async Task Sorting_by_parameters_reads_the_headline_version_and_puts_models_without_one_last(bool descending, string[] expected)
    {
        await SeedAsync();

        var list = await Models.ListAsync(new ModelQuery(Search: "fct-", Sort: ModelSort.Parameters, Descending: descending), Ct);

        Assert.Equal(expected, list.Items.Select(m => m.Name));
    }

    [Fact]
    public async Task A_restricted_model_is_never_counted_for_someone_outside_its_team()
    {
        var admin = await app.CreateUserAsync(Roles.Admin);
        var member = await app.CreateUserAsync(Roles.DataScientist);
        var outsider = await app.CreateUserAsync(Roles.DataScientist);
        var teams = app.Get<TeamService>();
        await teams.CreateAsync(admin.Actor, new CreateTeam("fct-hidden-team"), Ct);
        await teams.AddMemberAsync(admin.Actor, "fct-hidden-team", member.Email, Ct);
        await app.RegisterModelAsync(member, "fcx-hidden", "hidden-task", null, "hidden-tag");
        await app.RegisterModelAsync(member, "fcx-open", "open-task");
        await app.CreateVersionAsync(member, "fcx-hidden", new VersionInput(License: "hidden-licence", Format: WeightFormat.Onnx));
        await Models.UpdateAsync(admin.Actor, "fcx-hidden", new UpdateModel(OwnerTeam: "fct-hidden-team", Visibility: ModelVisibility.Restricted), Ct);

        foreach (var (viewer, sees) in new[] { (outsider, false), (member, true), (admin, true) })
        {
            using (ModelViewer.As(viewer.Id))
            {
                var counts = Counts(await Models.FacetsAsync(new ModelQuery(Search: "fcx-"), Ct));
                Assert.Equal(sees, counts[ModelFacetKeys.Team].ContainsKey("fct-hidden-team"));
                Assert.Equal(sees, counts[ModelFacetKeys.Task].ContainsKey("hidden-task"));
                Assert.Equal(sees, counts[ModelFacetKeys.Tag].ContainsKey("hidden-tag"));
                Assert.Equal(sees, counts[ModelFacetKeys.License].ContainsKey("hidden-licence"));
                Assert.Equal(sees, counts[ModelFacetKeys.Format].ContainsKey("onnx"));
                Assert.Equal(sees ? 2 : 1, (await Models.ListAsync(new ModelQuery(Search: "fcx-"), Ct)).Total);
                // A filter on the headline version must not lift the visibility filter either.
                Assert.Equal(sees ? 1 : 0, (await Models.ListAsync(new ModelQuery(Search: "fcx-", License: "hidden-licence"), Ct)).Total);
            }
        }
    }
}
