using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>The same registry on PostgreSQL.</summary>
public sealed class PostgresModelListingFixture() : ModelListingFixture(new PostgresRegistryApp());

/// <summary>A registry holding exactly seven models (two with versions) and a viewer's client.</summary>
public class ModelListingFixture : IAsyncLifetime
{
    public ModelListingFixture() : this(new RegistryApp())
    {
    }

    protected ModelListingFixture(RegistryApp app) => App = app;

    public static readonly (string Name, string Task, string[] Tags)[] Models =
    [
        ("alpha-chat", "text-generation", ["chat", "llama"]),
        ("beta-embed", "embeddings", ["search"]),
        ("gamma-chat", "text-generation", ["chat"]),
        ("delta-classifier", "classification", ["moderation"]),
        ("epsilon-embed", "embeddings", ["search", "multilingual"]),
        ("zeta-chat", "text-generation", ["chat", "multilingual"]),
        ("eta-coder", "text-generation", ["code"]),
    ];

    public RegistryApp App { get; }

    public HttpClient Viewer { get; private set; } = null!;

    public TestUser Owner { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Owner = await App.CreateUserAsync(Roles.DataScientist);
        foreach (var (name, task, tags) in Models)
        {
            await App.RegisterModelAsync(Owner, name, task, $"The {name.Split('-')[0]} model.", tags);
        }

        await App.CreateVersionAsync(Owner, "alpha-chat");
        await App.CreateVersionAsync(Owner, "beta-embed");
        for (var i = 0; i < 5; i++)
        {
            await App.CreateVersionAsync(Owner, "eta-coder");
        }

        Viewer = await App.ClientForAsync(await App.CreateUserAsync());
    }

    public async ValueTask DisposeAsync()
    {
        Viewer.Dispose();
        await App.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

public sealed class ModelListingTests(ModelListingFixture fixture) : ModelListingTestsCases<ModelListingFixture>(fixture);

/// <summary>The same cases on PostgreSQL.</summary>
public sealed class ModelListingTestsOnPostgres(PostgresModelListingFixture fixture) : ModelListingTestsCases<PostgresModelListingFixture>(fixture);

public abstract class ModelListingTestsCases<TFixture>(TFixture fixture) : IClassFixture<TFixture> where TFixture : ModelListingFixture
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] AllNames = ModelListingFixture.Models.Select(m => m.Name).ToArray();

    private async Task<(int Total, string[] Names)> ListAsync(string query)
    {
        var response = await fixture.Viewer.GetAsync($"/api/v1/models?{query}", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return (body.GetProperty("total").GetInt32(),
            body.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("name").GetString()!).ToArray());
    }

    [Fact]
    public async Task Pages_cover_every_model_once_and_each_reports_the_full_total()
    {
        var page1 = await ListAsync("sort=name&page=1&pageSize=3");
        var page2 = await ListAsync("sort=name&page=2&pageSize=3");
        var page3 = await ListAsync("sort=name&page=3&pageSize=3");
        var page4 = await ListAsync("sort=name&page=4&pageSize=3");

        Assert.All([page1, page2, page3, page4], p => Assert.Equal(7, p.Total));
        Assert.Equal(3, page1.Names.Length);
        Assert.Equal(3, page2.Names.Length);
        Assert.Single(page3.Names);
        Assert.Empty(page4.Names);
        Assert.Equal(AllNames.Order(StringComparer.Ordinal), page1.Names.Concat(page2.Names).Concat(page3.Names));
    }

    [Fact]
    public async Task Default_page_holds_every_model()
    {
        var all = await ListAsync("");

        Assert.Equal(7, all.Total);
        Assert.Equal(AllNames.Order(), all.Names.Order());
    }

    [Fact]
    public async Task Sort_by_name_ascending_and_descending()
    {
        var ascending = await ListAsync("sort=name");
        var descending = await ListAsync("sort=-name");

        Assert.Equal(AllNames.Order(StringComparer.Ordinal), ascending.Names);
        Assert.Equal(AllNames.OrderDescending(StringComparer.Ordinal), descending.Names);
    }

    [Fact]
    public async Task Sort_by_creation_follows_registration_order()
    {
        var oldestFirst = await ListAsync("sort=created");
        var newestFirst = await ListAsync("sort=-created");

        Assert.Equal(AllNames, oldestFirst.Names);
        Assert.Equal(Enumerable.Reverse(AllNames), newestFirst.Names);
    }

    [Fact]
    public async Task Default_order_puts_the_most_recently_changed_model_first()
    {
        using var owner = await fixture.App.ClientForAsync(fixture.Owner);
        var patch = await owner.PatchAsJsonAsync("/api/v1/models/delta-classifier", new { description = $"touched {Guid.NewGuid()}" }, Ct);
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);

        var list = await ListAsync("");

        Assert.Equal("delta-classifier", list.Names[0]);
    }

    [Theory]
    [InlineData("search=chat", new[] { "alpha-chat", "gamma-chat", "zeta-chat" })]
    [InlineData("search=CHAT", new[] { "alpha-chat", "gamma-chat", "zeta-chat" })]
    [InlineData("search=embed", new[] { "beta-embed", "epsilon-embed" })]
    [InlineData("search=eta", new[] { "beta-embed", "eta-coder", "zeta-chat" })]
    [InlineData("search=The%20gamma%20model", new[] { "gamma-chat" })]
    [InlineData("search=nothing-like-this", new string[0])]
    [InlineData("search=%25", new string[0])]
    [InlineData("search=_", new string[0])]
    public async Task Search_matches_names_and_descriptions(string query, string[] expected)
    {
        var result = await ListAsync($"{query}&sort=name");

        Assert.Equal(expected.Length, result.Total);
        Assert.Equal(expected, result.Names);
    }

    [Theory]
    [InlineData("tag=chat", new[] { "alpha-chat", "gamma-chat", "zeta-chat" })]
    [InlineData("tag=Chat", new[] { "alpha-chat", "gamma-chat", "zeta-chat" })]
    [InlineData("tag=multilingual", new[] { "epsilon-embed", "zeta-chat" })]
    [InlineData("tag=chatt", new string[0])]
    [InlineData("task=embeddings", new[] { "beta-embed", "epsilon-embed" })]
    [InlineData("task=text-generation", new[] { "alpha-chat", "eta-coder", "gamma-chat", "zeta-chat" })]
    [InlineData("task=translation", new string[0])]
    [InlineData("tag=multilingual&task=embeddings", new[] { "epsilon-embed" })]
    [InlineData("tag=chat&search=zeta", new[] { "zeta-chat" })]
    [InlineData("stage=None", new[] { "alpha-chat", "beta-embed", "eta-coder" })]
    [InlineData("stage=Production", new string[0])]
    public async Task Filters_by_tag_task_and_stage_narrow_the_list(string query, string[] expected)
    {
        var result = await ListAsync($"{query}&sort=name");

        Assert.Equal(expected.Length, result.Total);
        Assert.Equal(expected, result.Names);
    }

    [Fact]
    public async Task Filtered_total_counts_all_matches_not_just_the_page()
    {
        var result = await ListAsync("task=text-generation&sort=name&pageSize=1&page=2");

        Assert.Equal(4, result.Total);
        Assert.Equal(["eta-coder"], result.Names);
    }

    [Fact]
    public async Task Listed_model_shows_its_fields_and_version_counts()
    {
        var response = await fixture.Viewer.GetFromJsonAsync<JsonElement>("/api/v1/models?search=eta-coder", Ct);
        var model = Assert.Single(response.GetProperty("items").EnumerateArray().ToArray());

        Assert.Equal("eta-coder", model.GetProperty("name").GetString());
        Assert.Equal("text-generation", model.GetProperty("task").GetString());
        Assert.Equal(["code"], model.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(5, model.GetProperty("versionCount").GetInt32());
        Assert.Equal(5, model.GetProperty("latestVersion").GetInt32());
        Assert.Equal(JsonValueKind.Null, model.GetProperty("productionVersion").ValueKind);
        Assert.Equal(fixture.Owner.Email, model.GetProperty("owner").GetString());
    }

    [Fact]
    public async Task Versions_page_newest_first_with_the_full_total()
    {
        async Task<(int Total, int[] Numbers)> PageAsync(int page)
        {
            var body = await fixture.Viewer.GetFromJsonAsync<JsonElement>($"/api/v1/models/eta-coder/versions?page={page}&pageSize=2", Ct);
            return (body.GetProperty("total").GetInt32(),
                body.GetProperty("items").EnumerateArray().Select(v => v.GetProperty("number").GetInt32()).ToArray());
        }

        var pages = new[] { await PageAsync(1), await PageAsync(2), await PageAsync(3), await PageAsync(4) };

        Assert.All(pages, p => Assert.Equal(5, p.Total));
        Assert.Equal([5, 4], pages[0].Numbers);
        Assert.Equal([3, 2], pages[1].Numbers);
        Assert.Equal([1], pages[2].Numbers);
        Assert.Empty(pages[3].Numbers);
    }

    [Fact]
    public async Task Version_json_uses_the_documented_field_names()
    {
        var version = await fixture.Viewer.GetFromJsonAsync<JsonElement>("/api/v1/models/alpha-chat/versions/1", Ct);

        Assert.Equal(1, version.GetProperty("number").GetInt32());
        Assert.Equal("None", version.GetProperty("stage").GetString());
        Assert.Equal("unknown", version.GetProperty("format").GetString());
        foreach (var field in new[] { "createdBy", "createdAt", "source", "baseModel", "parameterCount", "contextLength", "parentVersion", "datasets" })
        {
            Assert.True(version.TryGetProperty(field, out _), $"missing {field}");
        }
    }
}
