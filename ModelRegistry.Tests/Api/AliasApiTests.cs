using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>One registry with a client per role and a model "aliased" with three versions, each with its own weights.</summary>
public sealed class AliasApiFixture : IAsyncLifetime
{
    public const string Model = "aliased";

    private readonly Dictionary<string, HttpClient> _clients = new();

    public RegistryApp App { get; } = new();

    public TestUser Owner { get; private set; } = null!;

    public HttpClient ClientFor(string role) => _clients[role];

    public static byte[] WeightsOf(int version) => Encoding.UTF8.GetBytes($"weights of version {version}");

    public async ValueTask InitializeAsync()
    {
        foreach (var role in ArtifactApiFixture.AllRoles)
        {
            var user = await App.CreateUserAsync(role == Roles.Viewer ? [] : [role]);
            _clients[role] = await App.ClientForAsync(user);
        }

        Owner = await App.CreateUserAsync(Roles.DataScientist);
        await App.RegisterModelAsync(Owner, Model);
        for (var v = 1; v <= 3; v++)
        {
            await App.CreateVersionAsync(Owner, Model);
            await App.UploadAsync(Owner, Model, v, "weights.bin", WeightsOf(v));
        }
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

/// <summary>
/// The alias routes and version references as a pipeline meets them: status codes, problem details, every read route
/// taking a reference, a download following its alias, and writes by reference refused with an explanation.
/// </summary>
public sealed class AliasApiTests(AliasApiFixture fixture) : IClassFixture<AliasApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Model = AliasApiFixture.Model;
    private const string Aliases = $"/api/v1/models/{Model}/aliases";
    private const string Versions = $"/api/v1/models/{Model}/versions";

    private HttpClient DataScientist => fixture.ClientFor(Roles.DataScientist);

    private static Task<HttpResponseMessage> PutAsync(HttpClient client, string alias, object body) =>
        client.PutAsJsonAsync($"{Aliases}/{alias}", body, Ct);

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await JsonAsync(response);
    }

    [Fact]
    public async Task Put_sets_an_alias_and_get_lists_it_with_version_digest_and_author()
    {
        using var put = await PutAsync(DataScientist, "listed", new { version = 2 });

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var set = await JsonAsync(put);
        var digest = (await fixture.App.Get<VersionService>().GetAsync(Model, 2, Ct)).Digest;
        Assert.Equal("listed", set.GetProperty("alias").GetString());
        Assert.Equal(2, set.GetProperty("version").GetInt32());
        Assert.Equal(digest, set.GetProperty("digest").GetString());
        Assert.EndsWith("@example.com", set.GetProperty("updatedBy").GetString());
        Assert.True(set.TryGetProperty("updatedAt", out _));

        var list = await DataScientist.GetFromJsonAsync<JsonElement>(Aliases, Ct);
        var listed = Assert.Single(list.EnumerateArray(), a => a.GetProperty("alias").GetString() == "listed");
        Assert.Equal(set.ToString(), listed.ToString());
    }

    [Fact]
    public async Task Put_moves_an_alias_and_delete_removes_it()
    {
        (await PutAsync(DataScientist, "moving", new { version = 1 })).Dispose();

        using var moved = await PutAsync(DataScientist, "moving", new { version = 3 });
        Assert.Equal(3, (await JsonAsync(moved)).GetProperty("version").GetInt32());

        using var deleted = await DataScientist.DeleteAsync($"{Aliases}/moving", Ct);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var list = await DataScientist.GetFromJsonAsync<JsonElement>(Aliases, Ct);
        Assert.DoesNotContain(list.EnumerateArray(), a => a.GetProperty("alias").GetString() == "moving");

        using var again = await DataScientist.DeleteAsync($"{Aliases}/moving", Ct);
        Assert.Contains("no alias 'moving'", (await ProblemAsync(again, HttpStatusCode.NotFound)).GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData(Roles.Viewer)]
    [InlineData(Roles.Reviewer)]
    [InlineData(Roles.Auditor)]
    public async Task Viewers_reviewers_and_auditors_get_403_and_change_nothing(string role)
    {
        (await PutAsync(DataScientist, "guarded", new { version = 1 })).Dispose();
        var client = fixture.ClientFor(role);

        await ProblemAsync(await PutAsync(client, "guarded", new { version = 2 }), HttpStatusCode.Forbidden);
        await ProblemAsync(await PutAsync(client, "other", new { version = 2 }), HttpStatusCode.Forbidden);
        await ProblemAsync(await client.DeleteAsync($"{Aliases}/guarded", Ct), HttpStatusCode.Forbidden);

        var guarded = await client.GetFromJsonAsync<JsonElement>($"{Versions}/guarded", Ct);
        Assert.Equal(1, guarded.GetProperty("number").GetInt32());
    }

    [Fact]
    public async Task An_admin_may_set_and_remove()
    {
        var admin = fixture.ClientFor(Roles.Admin);

        using var put = await PutAsync(admin, "by-admin", new { version = 1 });
        using var delete = await admin.DeleteAsync($"{Aliases}/by-admin", Ct);

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
    }

    [Theory]
    [InlineData("latest")]
    [InlineData("main")]
    [InlineData("production")]
    [InlineData("staging")]
    [InlineData("archived")]
    [InlineData("v12")]
    [InlineData("Champion")]
    [InlineData("champion%0A")]
    [InlineData("champion_1")]
    public async Task Reserved_and_malformed_names_are_400_naming_alias(string alias)
    {
        var problem = await ProblemAsync(await PutAsync(DataScientist, alias, new { version = 1 }), HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty("alias", out _), problem.ToString());
    }

    [Fact]
    public async Task A_missing_version_is_400_and_an_unknown_version_or_model_is_404()
    {
        var missing = await ProblemAsync(await PutAsync(DataScientist, "champion", new { }), HttpStatusCode.BadRequest);
        var unknownVersion = await ProblemAsync(await PutAsync(DataScientist, "champion", new { version = 99 }), HttpStatusCode.NotFound);
        var unknownModel = await ProblemAsync(await DataScientist.PutAsJsonAsync("/api/v1/models/no-such-model/aliases/champion", new { version = 1 }, Ct),
            HttpStatusCode.NotFound);
        var listUnknown = await ProblemAsync(await DataScientist.GetAsync("/api/v1/models/no-such-model/aliases", Ct), HttpStatusCode.NotFound);

        Assert.True(missing.GetProperty("errors").TryGetProperty("version", out _));
        Assert.Contains("no version 99", unknownVersion.GetProperty("detail").GetString());
        Assert.Contains("no-such-model", unknownModel.GetProperty("detail").GetString());
        Assert.Contains("no-such-model", listUnknown.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Every_read_route_takes_a_reference_and_answers_for_the_version_it_names()
    {
        var owner = fixture.Owner;
        await fixture.App.Get<ModelRegistry.Core.Aliases.AliasService>().SetAsync(owner.Actor, Model, "reader", 2, Ct);
        await fixture.App.Get<ModelRegistry.Core.Cards.CardService>().SaveAsync(owner.Actor, Model, 2, "# Version two\n", "first", Ct);
        using (var recorded = await DataScientist.PostAsJsonAsync($"{Versions}/2/metrics", new[] { new { name = "accuracy", value = 0.75 } }, Ct))
        {
            Assert.Equal(HttpStatusCode.Created, recorded.StatusCode);
        }

        var commit = (await fixture.App.Get<VersionService>().GetAsync(Model, 2, Ct)).Commit;
        foreach (var reference in new[] { "reader", commit, commit[..12], "sha256:" + commit[..12] })
        {
            var version = await DataScientist.GetFromJsonAsync<JsonElement>($"{Versions}/{reference}", Ct);
            Assert.Equal(2, version.GetProperty("number").GetInt32());
            Assert.Equal(await BytesAsync($"{Versions}/2/manifest"), await BytesAsync($"{Versions}/{reference}/manifest"));
            Assert.Equal(await TextAsync($"{Versions}/2/files"), await TextAsync($"{Versions}/{reference}/files"));
            Assert.Equal("# Version two\n", await TextAsync($"{Versions}/{reference}/card"));
            Assert.Equal(await TextAsync($"{Versions}/2/card/revisions"), await TextAsync($"{Versions}/{reference}/card/revisions"));
            Assert.Equal(await TextAsync($"{Versions}/2/card/diff?from=1&to=1"), await TextAsync($"{Versions}/{reference}/card/diff?from=1&to=1"));
            Assert.Contains("0.75", await TextAsync($"{Versions}/{reference}/metrics"));
            using var evidence = await DataScientist.GetAsync($"{Versions}/{reference}/evidence?format=md", Ct);
            Assert.Equal(HttpStatusCode.OK, evidence.StatusCode);
            Assert.StartsWith($"evidence-{Model}-v2-", evidence.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
            // Other tests of this class may name version 2 too (they share the fixture): "reader" is one of its aliases.
            Assert.Matches(@"\| Aliases \| ([a-z0-9-]+, )*reader(, [a-z0-9-]+)* \|", await evidence.Content.ReadAsStringAsync(Ct));
            Assert.Equal(AliasApiFixture.WeightsOf(2), await BytesAsync($"{Versions}/{reference}/files/weights.bin"));
        }

        var latest = await DataScientist.GetFromJsonAsync<JsonElement>($"{Versions}/latest", Ct);
        Assert.Equal(3, latest.GetProperty("number").GetInt32());
    }

    [Fact]
    public async Task A_download_through_an_alias_follows_the_alias_when_it_moves()
    {
        (await PutAsync(DataScientist, "serving", new { version = 1 })).Dispose();
        using var first = await DataScientist.GetAsync($"{Versions}/serving/files/weights.bin", Ct);
        Assert.Equal(AliasApiFixture.WeightsOf(1), await first.Content.ReadAsByteArrayAsync(Ct));

        (await PutAsync(DataScientist, "serving", new { version = 3 })).Dispose();
        using var second = await DataScientist.GetAsync($"{Versions}/serving/files/weights.bin", Ct);

        Assert.Equal(AliasApiFixture.WeightsOf(3), await second.Content.ReadAsByteArrayAsync(Ct));
        Assert.NotEqual(first.Headers.ETag, second.Headers.ETag);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(AliasApiFixture.WeightsOf(3))),
            second.Headers.GetValues("X-Checksum-Sha256").Single());
    }

    [Fact]
    public async Task References_that_name_no_version_are_404_and_too_short_prefixes_400()
    {
        var unknown = await ProblemAsync(await DataScientist.GetAsync($"{Versions}/nobody-set-this", Ct), HttpStatusCode.NotFound);
        var unknownFile = await ProblemAsync(await DataScientist.GetAsync($"{Versions}/nobody-set-this/files/weights.bin", Ct), HttpStatusCode.NotFound);
        var noCommit = await ProblemAsync(await DataScientist.GetAsync($"{Versions}/0000000000000000/manifest", Ct), HttpStatusCode.NotFound);
        var shortPrefix = await ProblemAsync(await DataScientist.GetAsync($"{Versions}/sha256:abcdef/files", Ct), HttpStatusCode.BadRequest);

        Assert.Contains("'nobody-set-this'", unknown.GetProperty("detail").GetString());
        Assert.Contains("'nobody-set-this'", unknownFile.GetProperty("detail").GetString());
        Assert.Contains("'0000000000000000'", noCommit.GetProperty("detail").GetString());
        Assert.Contains("at least 12 hex digits", shortPrefix.GetProperty("errors").GetProperty("reference")[0].GetString());
    }

    [Fact]
    public async Task An_ambiguous_prefix_is_409_ambiguous_reference()
    {
        var ds = await fixture.App.CreateUserAsync(Roles.DataScientist);
        await fixture.App.RegisterModelAsync(ds, "ambiguous-twins");
        await fixture.App.CreateVersionAsync(ds, "ambiguous-twins");
        await fixture.App.CreateVersionAsync(ds, "ambiguous-twins");
        await fixture.App.ExecuteSqlAsync("""
            UPDATE "Versions" SET "Digest" = 'sha256:0123456789ab' || substr("Digest", 20)
            WHERE "ModelId" = (SELECT "Id" FROM "Models" WHERE "Name" = 'ambiguous-twins')
            """);

        var problem = await ProblemAsync(await DataScientist.GetAsync("/api/v1/models/ambiguous-twins/versions/0123456789ab", Ct),
            HttpStatusCode.Conflict);

        Assert.Equal("ambiguous_reference", problem.GetProperty("code").GetString());
        Assert.Contains("v1, v2", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Writes_by_reference_are_refused_with_an_explanation_and_change_nothing()
    {
        (await PutAsync(DataScientist, "written", new { version = 1 })).Dispose();
        var before = await fixture.App.StateAsync();

        var writes = new (HttpMethod Method, string Path, HttpContent Body)[]
        {
            (HttpMethod.Patch, $"{Versions}/written", JsonContent.Create(new { description = "changed" })),
            (HttpMethod.Put, $"{Versions}/written/files/other.bin", new ByteArrayContent([1, 2, 3])),
            (HttpMethod.Put, $"{Versions}/written/card", new StringContent("# Card", Encoding.UTF8, "text/markdown")),
            (HttpMethod.Post, $"{Versions}/written/metrics", JsonContent.Create(new[] { new { name = "accuracy", value = 0.5 } })),
            (HttpMethod.Post, $"{Versions}/written/transitions", JsonContent.Create(new { toStage = "Staging", comment = "c" })),
            (HttpMethod.Post, $"{Versions}/latest/deployments", JsonContent.Create(new { environment = "prod", status = "Failed" })),
        };
        foreach (var (method, path, body) in writes)
        {
            using var response = await DataScientist.SendAsync(new HttpRequestMessage(method, path) { Content = body }, Ct);
            Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, $"{method} {path} → {(int)response.StatusCode}");
            var problem = await JsonAsync(response);
            Assert.Equal("version_number_required", problem.GetProperty("code").GetString());
            Assert.Contains("takes its number", problem.GetProperty("detail").GetString());
        }

        Assert.Equal(before, await fixture.App.StateAsync());
        using var byNumber = await DataScientist.PatchAsJsonAsync($"{Versions}/1", new { description = "by number" }, Ct);
        Assert.Equal(HttpStatusCode.OK, byNumber.StatusCode);
    }

    private async Task<byte[]> BytesAsync(string path)
    {
        using var response = await DataScientist.GetAsync(path, Ct);
        Assert.True(response.IsSuccessStatusCode, $"GET {path} → {(int)response.StatusCode}");
        return await response.Content.ReadAsByteArrayAsync(Ct);
    }

    private async Task<string> TextAsync(string path) => Encoding.UTF8.GetString(await BytesAsync(path));
}
