using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>A model whose version 1 (a file, a card) has been approved into Staging, and a client per role.</summary>
public sealed class FrozenVersionFixture : IAsyncLifetime
{
    public const string Model = "frozen-model";

    private readonly Dictionary<string, HttpClient> _clients = new();

    public RegistryApp App { get; } = new();
    public TestUser DataScientist { get; private set; } = null!;
    public TestUser Reviewer { get; private set; } = null!;
    public HttpClient ClientFor(string role) => _clients[role];

    public async ValueTask InitializeAsync()
    {
        foreach (var role in ApiAccessMatrixTests.AllRoles)
        {
            var user = await App.CreateUserAsync(role == Roles.Viewer ? [] : [role]);
            _clients[role] = await App.ClientForAsync(user);
        }

        DataScientist = await App.CreateUserAsync(Roles.DataScientist);
        Reviewer = await App.CreateUserAsync(Roles.Reviewer);
        await App.RegisterModelAsync(DataScientist, Model);
        await App.CreateVersionAsync(DataScientist, Model, new VersionInput(Description: "Approved as it is.", License: "apache-2.0"));
        await App.UploadAsync(DataScientist, Model, 1, "weights.bin", [1, 2, 3, 4]);
        await App.Get<ModelRegistry.Core.Cards.CardService>().SaveAsync(DataScientist.Actor, Model, 1, "# Frozen\n\nApproved card.", null,
            TestContext.Current.CancellationToken);
        await App.PromoteAsync(DataScientist, Reviewer, Model, 1, Stage.Staging);
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
/// "Approved means frozen" as every API caller meets it. The route list is read from the running app, so an endpoint
/// added later that changes a version fails <see cref="Every_route_that_writes_to_a_version_is_classified"/> until it is
/// either refused on a frozen version (and passes the per-role test) or named here as allowed after approval, with why.
/// </summary>
public sealed class FrozenVersionApiTests(FrozenVersionFixture fixture) : IClassFixture<FrozenVersionFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Writes to a version's content: each with a body that would succeed on a version under development.</summary>
    private static readonly Dictionary<string, Func<HttpContent?>> FrozenWrites = new()
    {
        ["PATCH /api/v1/models/{name}/versions/{number:int}"] = () => JsonContent.Create(new { description = "Changed after approval." }),
        ["PUT /api/v1/models/{name}/versions/{number:int}/files/{**path}"] = () => new ByteArrayContent([9, 9, 9]),
        ["PUT /api/v1/models/{name}/versions/{number:int}/card/"] = () => new StringContent("# Replaced", Encoding.UTF8, "text/markdown"),
        ["POST /api/v1/models/{name}/versions/{number:int}/uploads"] = TusCreation,
        // Corrections and removals of evaluation results: what reviewers approved stays as they saw it.
        ["PUT /api/v1/models/{name}/versions/{number:int}/metrics/{id:long}"] = () => JsonContent.Create(new { name = "accuracy", value = 0.99 }),
        ["DELETE /api/v1/models/{name}/versions/{number:int}/metrics/{id:long}"] = () => null,
    };

    /// <summary>The creation of a resumable upload (tus), refused before a byte is sent.</summary>
    private static ByteArrayContent TusCreation()
    {
        var content = new ByteArrayContent([]);
        content.Headers.TryAddWithoutValidation("Tus-Resumable", "1.0.0");
        content.Headers.TryAddWithoutValidation("Upload-Length", "3");
        content.Headers.TryAddWithoutValidation("Upload-Metadata", "path " + Convert.ToBase64String("later.bin"u8));
        return content;
    }

    /// <summary>Writes that are about a version rather than to it, and stay open after approval.</summary>
    private static readonly Dictionary<string, string> AllowedAfterApproval = new()
    {
        ["POST /api/v1/models/{name}/versions/{number:int}/metrics/"] = "post-release evaluations are added, labelled as recorded after approval",
        ["POST /api/v1/models/{name}/versions/{number:int}/transitions"] = "lifecycle requests move the stage (e.g. to Archived), not the content",
        ["POST /api/v1/models/{name}/versions/{number:int}/deployments"] = "deployments record where the version runs",
    };

    private static IEnumerable<string> VersionWriteRoutes(RegistryApp app) =>
        app.Get<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && raw.Contains("{number", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
                .Where(m => m is not ("GET" or "HEAD" or "OPTIONS"))
                .Select(m => $"{m} {e.RoutePattern.RawText}"))
            .Distinct()
            .Order(StringComparer.Ordinal);

    public static TheoryData<string, string> FrozenWritesByRole()
    {
        var data = new TheoryData<string, string>();
        foreach (var route in FrozenWrites.Keys)
        {
            foreach (var role in ApiAccessMatrixTests.AllRoles)
            {
                data.Add(route, role);
            }
        }

        return data;
    }

    private static string Concrete(string route) => route[(route.IndexOf(' ') + 1)..]
        .Replace("{name}", FrozenVersionFixture.Model, StringComparison.Ordinal)
        .Replace("{number:int}", "1", StringComparison.Ordinal)
        .Replace("{**path}", "weights.bin", StringComparison.Ordinal)
        .Replace("{id:long}", "1", StringComparison.Ordinal);

    [Fact]
    public async Task Every_route_that_writes_to_a_version_is_classified()
    {
        await fixture.App.InitializeAsync();
        var unclassified = VersionWriteRoutes(fixture.App)
            .Where(r => !FrozenWrites.ContainsKey(r) && !AllowedAfterApproval.ContainsKey(r))
            .ToList();

        Assert.True(unclassified.Count == 0,
            "These routes change a version but are neither refused on a frozen version nor allowed after approval in " +
            $"FrozenVersionApiTests: {string.Join(", ", unclassified)}. Route them through VersionWriter and list them.");
        Assert.All(FrozenWrites.Keys.Concat(AllowedAfterApproval.Keys), r => Assert.Contains(r, VersionWriteRoutes(fixture.App)));
    }

    [Theory]
    [MemberData(nameof(FrozenWritesByRole))]
    public async Task A_write_to_a_frozen_version_is_refused_for_every_role(string route, string role)
    {
        var before = await fixture.App.Get<VersionService>().GetAsync(FrozenVersionFixture.Model, 1, Ct);
        var beforeAudit = await fixture.App.LastAuditSequenceAsync();
        using var request = new HttpRequestMessage(new HttpMethod(route[..route.IndexOf(' ')]), Concrete(route))
        {
            Content = FrozenWrites[route](),
        };

        using var response = await fixture.ClientFor(role).SendAsync(request, Ct);

        var body = await response.Content.ReadAsStringAsync(Ct);
        if (role is Roles.DataScientist or Roles.Admin)
        {
            Assert.True(response.StatusCode == HttpStatusCode.Conflict, $"{route} as {role}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(body).RootElement;
            Assert.Equal("version_frozen", problem.GetProperty("code").GetString());
            Assert.Equal(before.FrozenAt, problem.GetProperty("frozenAt").GetDateTimeOffset());
            Assert.Contains("create a new version", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        }
        else
        {
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{route} as {role}: {(int)response.StatusCode} {body}");
        }

        var after = await fixture.App.Get<VersionService>().GetAsync(FrozenVersionFixture.Model, 1, Ct);
        Assert.Equal(before.Digest, after.Digest);
        Assert.Equal(before.Description, after.Description);
        Assert.Equal(beforeAudit, await fixture.App.LastAuditSequenceAsync());
    }

    [Fact]
    public async Task A_frozen_version_still_serves_what_was_approved()
    {
        var client = fixture.ClientFor(Roles.Viewer);

        var version = await client.GetFromJsonAsync<JsonElement>($"/api/v1/models/{FrozenVersionFixture.Model}/versions/1", Ct);
        var bytes = await client.GetByteArrayAsync($"/api/v1/models/{FrozenVersionFixture.Model}/versions/1/files/weights.bin", Ct);
        var card = await client.GetStringAsync($"/api/v1/models/{FrozenVersionFixture.Model}/versions/1/card", Ct);

        Assert.True(version.GetProperty("frozen").GetBoolean());
        Assert.NotNull(version.GetProperty("frozenAt").GetString());
        Assert.Equal([1, 2, 3, 4], bytes);
        Assert.Contains("Approved card.", card);
    }

    [Fact]
    public async Task The_manifest_route_returns_exactly_the_bytes_the_digest_is_taken_over()
    {
        var client = fixture.ClientFor(Roles.Auditor);
        var version = await client.GetFromJsonAsync<JsonElement>($"/api/v1/models/{FrozenVersionFixture.Model}/versions/1", Ct);

        using var response = await client.GetAsync($"/api/v1/models/{FrozenVersionFixture.Model}/versions/1/manifest", Ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(Ct);

        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(version.GetProperty("digest").GetString(), digest);
        Assert.Equal(digest[7..47], version.GetProperty("commit").GetString());
        Assert.Equal($"\"{digest}\"", response.Headers.ETag?.Tag);
        var manifest = JsonDocument.Parse(bytes).RootElement;
        Assert.Equal(FrozenVersionFixture.Model, manifest.GetProperty("model").GetString());
        var file = Assert.Single(manifest.GetProperty("files").EnumerateArray());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData([1, 2, 3, 4])), file.GetProperty("sha256").GetString());
        Assert.Equal("apache-2.0", manifest.GetProperty("metadata").GetProperty("license").GetString());
    }

    [Fact]
    public async Task Evaluation_results_added_after_approval_are_accepted_and_labelled()
    {
        var client = fixture.ClientFor(Roles.DataScientist);
        var before = await fixture.App.Get<VersionService>().GetAsync(FrozenVersionFixture.Model, 1, Ct);

        using var response = await client.PostAsJsonAsync($"/api/v1/models/{FrozenVersionFixture.Model}/versions/1/metrics",
            new[] { new { name = "post-release-accuracy", value = 0.91 } }, Ct);

        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        var metrics = await client.GetFromJsonAsync<JsonElement>($"/api/v1/models/{FrozenVersionFixture.Model}/versions/1/metrics", Ct);
        var added = metrics.EnumerateArray().Single(m => m.GetProperty("name").GetString() == "post-release-accuracy");
        Assert.True(added.GetProperty("afterApproval").GetBoolean());
        Assert.Equal(before.Digest, (await fixture.App.Get<VersionService>().GetAsync(FrozenVersionFixture.Model, 1, Ct)).Digest);
    }

    [Fact]
    public async Task The_next_version_is_created_from_a_frozen_one_by_reference()
    {
        var client = fixture.ClientFor(Roles.DataScientist);
        var filesBefore = fixture.App.StoreFiles().Count;

        using var response = await client.PostAsJsonAsync($"/api/v1/models/{FrozenVersionFixture.Model}/versions",
            new { copyFrom = 1, description = "Next iteration." }, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var number = created.GetProperty("number").GetInt32();
        Assert.False(created.GetProperty("frozen").GetBoolean());
        Assert.Equal("apache-2.0", created.GetProperty("license").GetString());
        Assert.Equal("Next iteration.", created.GetProperty("description").GetString());
        Assert.Equal(1, created.GetProperty("parentVersion").GetInt32());
        var bytes = await client.GetByteArrayAsync($"/api/v1/models/{FrozenVersionFixture.Model}/versions/{number}/files/weights.bin", Ct);
        Assert.Equal([1, 2, 3, 4], bytes);
        Assert.Contains("Approved card.", await client.GetStringAsync($"/api/v1/models/{FrozenVersionFixture.Model}/versions/{number}/card", Ct));
        Assert.Equal(filesBefore, fixture.App.StoreFiles().Count);

        // The copy is a version under development: it takes changes, the frozen one still does not.
        using var edit = await client.PatchAsJsonAsync($"/api/v1/models/{FrozenVersionFixture.Model}/versions/{number}",
            new { description = "Changed on the copy." }, Ct);
        Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
        Assert.Equal("Approved as it is.", (await fixture.App.Get<VersionService>().GetAsync(FrozenVersionFixture.Model, 1, Ct)).Description);
    }

    [Fact]
    public async Task Approving_with_a_digest_other_than_the_current_one_is_409_digest_mismatch()
    {
        var ds = await fixture.App.ClientForAsync(fixture.DataScientist);
        var reviewer = await fixture.App.ClientForAsync(fixture.Reviewer);
        var version = await fixture.App.CreateVersionAsync(fixture.DataScientist, FrozenVersionFixture.Model);
        var request = await fixture.App.RequestAsync(fixture.DataScientist, FrozenVersionFixture.Model, version.Number, Stage.Staging);
        using var change = await ds.PatchAsJsonAsync($"/api/v1/models/{FrozenVersionFixture.Model}/versions/{version.Number}",
            new { description = "Changed while under review." }, Ct);
        change.EnsureSuccessStatusCode();

        using var stale = await reviewer.PostAsJsonAsync($"/api/v1/transitions/{request.Id}/approve", new { digest = request.Digest }, Ct);

        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        var problem = await stale.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("digest_mismatch", problem.GetProperty("code").GetString());
        Assert.Equal(request.Digest, problem.GetProperty("reviewedDigest").GetString());
        var current = problem.GetProperty("currentDigest").GetString();
        Assert.NotEqual(request.Digest, current);

        using var fresh = await reviewer.PostAsJsonAsync($"/api/v1/transitions/{request.Id}/approve", new { digest = current }, Ct);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        var frozen = await fixture.App.Get<VersionService>().GetAsync(FrozenVersionFixture.Model, version.Number, Ct);
        Assert.True(frozen.Frozen);
        Assert.Equal(current, frozen.Digest);
    }
}
