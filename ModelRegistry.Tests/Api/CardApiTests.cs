using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>One registry with a user per role and a model "cards" with two versions.</summary>
public sealed class CardApiFixture : IAsyncLifetime
{
    public const string Model = "cards";

    private readonly Dictionary<string, HttpClient> _clients = new();

    public RegistryApp App { get; } = new();

    public HttpClient ClientFor(string role) => _clients[role];

    public async ValueTask InitializeAsync()
    {
        foreach (var role in ApiAccessMatrixTests.AllRoles)
        {
            var user = await App.CreateUserAsync(role == Roles.Viewer ? [] : [role]);
            _clients[role] = await App.ClientForAsync(user);
        }

        var owner = await App.CreateUserAsync(Roles.DataScientist);
        await App.RegisterModelAsync(owner, Model);
        await App.CreateVersionAsync(owner, Model);
        await App.CreateVersionAsync(owner, Model);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }

        await App.DisposeAsync();
    }
}

/// <summary><c>GET/PUT …/card</c> as a pipeline meets them: markdown in and out, revisions, roles, limits.</summary>
public sealed class CardApiTests(CardApiFixture fixture) : IClassFixture<CardApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string CardUrl(int version, string? query = null) => $"/api/v1/models/{CardApiFixture.Model}/versions/{version}/card{query}";

    private static StringContent Markdown(string text) => new(text, Encoding.UTF8, "text/markdown");

    private HttpClient DataScientist => fixture.ClientFor(Roles.DataScientist);

    [Fact]
    public async Task Put_saves_a_revision_and_get_returns_the_markdown()
    {
        var card = "---\nlicense: mit\nmodel-index:\n  - results:\n      - dataset: { name: MMLU }\n        metrics: [{ type: accuracy, value: 0.7 }]\n---\n# Cards model\n\nÜnïcödé ✓\n";

        var put = await DataScientist.PutAsync(CardUrl(1, "?comment=first%20draft"), Markdown(card), Ct);

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var saved = await put.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var revision = saved.GetProperty("revision").GetInt32();
        Assert.Equal("first draft", saved.GetProperty("comment").GetString());
        Assert.Equal("mit", saved.GetProperty("metadata").GetProperty("license").GetString());
        Assert.Equal(4, saved.GetProperty("missingSections").GetArrayLength());

        var get = await DataScientist.GetAsync(CardUrl(1), Ct);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("text/markdown", get.Content.Headers.ContentType?.MediaType);
        Assert.Equal(card, await get.Content.ReadAsStringAsync(Ct));
        Assert.Equal(revision.ToString(System.Globalization.CultureInfo.InvariantCulture), get.Headers.GetValues("X-Card-Revision").Single());
        Assert.NotNull(get.Headers.ETag);

        var metrics = await DataScientist.GetFromJsonAsync<JsonElement>($"/api/v1/models/{CardApiFixture.Model}/versions/1/metrics", Ct);
        Assert.Contains(metrics.EnumerateArray(), m => m.GetProperty("source").GetString() == "model-index" && m.GetProperty("name").GetString() == "accuracy");
    }

    [Fact]
    public async Task Revisions_can_be_listed_read_and_diffed()
    {
        await DataScientist.PutAsync(CardUrl(2), Markdown("# A\nold line\n"), Ct);
        await DataScientist.PutAsync(CardUrl(2, "?comment=reworded"), Markdown("# A\nnew line\n"), Ct);

        var revisions = await DataScientist.GetFromJsonAsync<JsonElement>(CardUrl(2, "/revisions"), Ct);
        var newest = revisions[0];
        Assert.Equal("reworded", newest.GetProperty("comment").GetString());
        var n = newest.GetProperty("revision").GetInt32();

        var old = await DataScientist.GetAsync(CardUrl(2, $"?revision={n - 1}"), Ct);
        Assert.Equal("# A\nold line\n", await old.Content.ReadAsStringAsync(Ct));
        var diff = await DataScientist.GetFromJsonAsync<JsonElement>(CardUrl(2, $"/diff?from={n - 1}&to={n}"), Ct);
        Assert.Equal(1, diff.GetProperty("added").GetInt32());
        Assert.Equal(1, diff.GetProperty("removed").GetInt32());
        var missing = await DataScientist.GetAsync(CardUrl(2, "?revision=999"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Theory]
    [InlineData("quote")]
    [InlineData("list")]
    public async Task A_card_nested_fifty_thousand_deep_is_400_and_the_server_stays_healthy(string shape)
    {
        var owner = await fixture.App.CreateUserAsync(Roles.DataScientist);
        await fixture.App.RegisterModelAsync(owner, $"cards-deep-{shape}");
        await fixture.App.CreateVersionAsync(owner, $"cards-deep-{shape}");
        var card = shape == "quote" ? new string('>', 50_000) + " deep\n" : string.Concat(Enumerable.Repeat("- ", 50_000)) + "deep\n";
        var before = await fixture.App.LastAuditSequenceAsync();

        var put = await DataScientist.PutAsync($"/api/v1/models/cards-deep-{shape}/versions/1/card", Markdown(card), Ct);
        var health = await fixture.App.AnonymousClient().GetAsync("/healthz", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("application/problem+json", put.Content.Headers.ContentType?.MediaType);
        var problem = await put.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Contains("levels deep", problem.GetProperty("errors").GetProperty("markdown")[0].GetString());
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Empty(await fixture.App.AuditEventsAsync(before));
    }

    [Fact]
    public async Task Version_without_a_card_is_404_with_problem_details()
    {
        var owner = await fixture.App.CreateUserAsync(Roles.DataScientist);
        await fixture.App.RegisterModelAsync(owner, "cards-empty");
        await fixture.App.CreateVersionAsync(owner, "cards-empty");

        var response = await DataScientist.GetAsync("/api/v1/models/cards-empty/versions/1/card", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no model card", await response.Content.ReadAsStringAsync(Ct));
    }

    [Theory]
    [InlineData(Roles.Viewer)]
    [InlineData(Roles.Reviewer)]
    [InlineData(Roles.Auditor)]
    public async Task Viewer_reviewer_and_auditor_may_read_but_not_edit_a_card(string role)
    {
        await DataScientist.PutAsync(CardUrl(1), Markdown("# readable\n"), Ct);
        var revisionsBefore = (await DataScientist.GetFromJsonAsync<JsonElement>(CardUrl(1, "/revisions"), Ct)).GetArrayLength();
        var eventsBefore = await fixture.App.LastAuditSequenceAsync();

        var put = await fixture.ClientFor(role).PutAsync(CardUrl(1), Markdown($"# defaced by {role}\n"), Ct);
        var get = await fixture.ClientFor(role).GetAsync(CardUrl(1), Ct);

        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        Assert.Equal("application/problem+json", put.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.DoesNotContain("defaced", await get.Content.ReadAsStringAsync(Ct));
        Assert.Equal(revisionsBefore, (await DataScientist.GetFromJsonAsync<JsonElement>(CardUrl(1, "/revisions"), Ct)).GetArrayLength());
        Assert.Empty(await fixture.App.AuditEventsAsync(eventsBefore));
    }

    [Fact]
    public async Task Admin_may_edit_a_card()
    {
        var put = await fixture.ClientFor(Roles.Admin).PutAsync(CardUrl(2), Markdown("# by admin\n"), Ct);

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
    }

    [Fact]
    public async Task Card_of_10_MiB_is_413_even_where_no_transport_limit_applies()
    {
        var put = await DataScientist.PutAsync(CardUrl(2), new ByteArrayContent(new byte[10 * 1024 * 1024]) { Headers = { ContentType = new MediaTypeHeaderValue("text/markdown") } }, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, put.StatusCode);
        Assert.Equal("application/problem+json", put.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Body_that_is_not_utf8_is_400()
    {
        var put = await DataScientist.PutAsync(CardUrl(2), new ByteArrayContent([0x23, 0x20, 0xC3, 0x28, 0xFF]), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
    }

    [Fact]
    public async Task Broken_front_matter_saves_and_the_answer_says_what_is_wrong()
    {
        var put = await DataScientist.PutAsync(CardUrl(2), Markdown("---\nlicense: [mit\n---\n# x\n"), Ct);

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var saved = await put.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.NotEqual(0, saved.GetProperty("metadata").GetProperty("problems").GetArrayLength());
    }

    [Fact]
    public async Task Unknown_version_is_404()
    {
        var put = await DataScientist.PutAsync(CardUrl(99), Markdown("# x"), Ct);

        Assert.Equal(HttpStatusCode.NotFound, put.StatusCode);
    }

    [Theory]
    [InlineData("GET", "/api/v1/models/cards/versions/1/card")]
    [InlineData("PUT", "/api/v1/models/cards/versions/1/card")]
    [InlineData("GET", "/api/v1/models/cards/versions/1/metrics")]
    [InlineData("POST", "/api/v1/models/cards/versions/1/metrics")]
    public async Task Anonymous_caller_gets_401(string method, string path)
    {
        using var client = fixture.App.AnonymousClient();

        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "GET" ? null : Markdown("[]"),
        }, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
