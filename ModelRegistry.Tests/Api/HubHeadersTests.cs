using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// The headers and statuses of <c>/hf</c> that clients other than @huggingface/hub rely on (huggingface_hub's
/// <c>hf_hub_download</c> reads <c>X-Repo-Commit</c>, <c>X-Linked-Etag</c> and <c>X-Linked-Size</c> from a HEAD; the
/// Rust hf-hub crate sizes a file from <c>Content-Range</c>; llama.cpp reads <c>refs</c> and the tree), checked on the
/// wire with a plain HTTP client.
/// </summary>
public sealed class HubHeadersTests(HubFixture hub) : IClassFixture<HubFixture>
{
    private const string Repo = $"registry/{HubFixture.Model}";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Resolve_answers_the_commit_the_sha256_etags_the_size_and_ranges()
    {
        using var http = hub.Http();
        var weights = hub.Files[1]["model.safetensors"];
        var sha = HubFixture.Sha256(weights);

        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/hf/{Repo}/resolve/main/model.safetensors"), Ct);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(hub.Versions[1].Commit, Header(head, "X-Repo-Commit"));
        Assert.Equal($"\"{sha}\"", head.Headers.ETag!.ToString());
        Assert.Equal($"\"{sha}\"", Header(head, "X-Linked-Etag"));
        Assert.Equal(weights.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), Header(head, "X-Linked-Size"));
        Assert.Equal(weights.Length, head.Content.Headers.ContentLength);
        Assert.Equal("bytes", Assert.Single(head.Headers.AcceptRanges));
        Assert.Equal("attachment", head.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("model.safetensors", head.Content.Headers.ContentDisposition.FileNameStar);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(Ct));

        var ranged = new HttpRequestMessage(HttpMethod.Get, $"/hf/{Repo}/resolve/main/model.safetensors");
        ranged.Headers.Range = new RangeHeaderValue(100, 1099);
        using var part = await http.SendAsync(ranged, Ct);

        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal($"bytes 100-1099/{weights.Length}", part.Content.Headers.ContentRange!.ToString());
        Assert.Equal(weights[100..1100], await part.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(hub.Versions[1].Commit, Header(part, "X-Repo-Commit"));

        // What the Hub clients send first: the first byte, to learn the size from Content-Range.
        var first = new HttpRequestMessage(HttpMethod.Get, $"/hf/{Repo}/resolve/v3/tokenizer.json");
        first.Headers.Range = new RangeHeaderValue(0, 0);
        using var probe = await http.SendAsync(first, Ct);
        Assert.Equal($"bytes 0-0/{hub.Files[3]["tokenizer.json"].Length}", probe.Content.Headers.ContentRange!.ToString());
        Assert.Equal(hub.Versions[3].Commit, Header(probe, "X-Repo-Commit"));
    }

    [Fact]
    public async Task Raw_serves_the_same_bytes_and_a_conditional_request_with_the_etag_is_304()
    {
        using var http = hub.Http();
        var bytes = await http.GetByteArrayAsync($"/hf/{Repo}/raw/staging/extra/notes.txt", Ct);
        Assert.Equal(hub.Files[2]["extra/notes.txt"], bytes);

        var again = new HttpRequestMessage(HttpMethod.Get, $"/hf/{Repo}/resolve/staging/extra/notes.txt");
        again.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{HubFixture.Sha256(bytes)}\""));
        using var cached = await http.SendAsync(again, Ct);
        Assert.Equal(HttpStatusCode.NotModified, cached.StatusCode);
    }

    [Theory]
    [InlineData("registry/no-such-model", "main", "config.json", "RepoNotFound")]
    [InlineData("someone-else/support-bot", "main", "config.json", "RepoNotFound")]
    [InlineData(Repo, "no-such-revision", "config.json", "RevisionNotFound")]
    [InlineData(Repo, "v99", "config.json", "RevisionNotFound")]
    [InlineData("registry/draft-model", "main", "model.gguf", "RevisionNotFound")]
    [InlineData(Repo, "main", "no/such/file.bin", "EntryNotFound")]
    public async Task A_missing_repo_revision_or_file_is_404_with_its_error_code_and_a_HEAD_error_has_no_body(
        string repo, string revision, string path, string code)
    {
        using var http = hub.Http();

        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/hf/{repo}/resolve/{revision}/{path}"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Equal(code, Header(head, "X-Error-Code"));
        Assert.False(string.IsNullOrWhiteSpace(Header(head, "X-Error-Message")));
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(Ct));
        // On the wire too: headers only, not a problem-details body announced for a HEAD.
        var wire = await RawHttp.ExchangeAsync(hub.Server, "HEAD", $"/hf/{repo}/resolve/{revision}/{path}", "hf_" + hub.ViewerToken, Ct);
        Assert.Equal((404, code, "", null), (wire.Status, wire.Headers["x-error-code"], wire.Body, wire.MediaType));

        using var get = await http.GetAsync($"/hf/{repo}/resolve/{revision}/{path}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(code, Header(get, "X-Error-Code"));
        var body = JsonNode.Parse(await get.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal(Header(get, "X-Error-Message"), body["error"]!.GetValue<string>());
        if (code == "EntryNotFound")
        {
            // huggingface_hub remembers an absent file per commit.
            Assert.Equal(hub.Versions[1].Commit, Header(get, "X-Repo-Commit"));
        }
    }

    [Fact]
    public async Task Without_credentials_it_is_401_and_a_bad_token_too()
    {
        using var anonymous = new HttpClient { BaseAddress = hub.Server };
        using var none = await anonymous.GetAsync($"/hf/api/models/{Repo}", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);

        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "hf_mr_not-a-real-token");
        using var bad = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/hf/{Repo}/resolve/main/config.json"), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        Assert.Equal("Invalid credentials in Authorization header", Header(bad, "X-Error-Message"));
    }

    [Fact]
    public async Task Refs_give_main_at_the_Production_commit_and_every_tag()
    {
        using var http = hub.Http();
        var refs = JsonNode.Parse(await http.GetStringAsync($"/hf/api/models/{Repo}/refs", Ct))!;

        var main = Assert.Single(refs["branches"]!.AsArray())!;
        Assert.Equal("main", main["name"]!.GetValue<string>());
        Assert.Equal("refs/heads/main", main["ref"]!.GetValue<string>());
        Assert.Equal(hub.Versions[1].Commit, main["targetCommit"]!.GetValue<string>());
        var tags = refs["tags"]!.AsArray().ToDictionary(t => t!["name"]!.GetValue<string>(), t => t!["targetCommit"]!.GetValue<string>());
        Assert.Equal(hub.Versions[2].Commit, tags["staging"]);
        Assert.Equal(hub.Versions[3].Commit, tags["latest"]);
        Assert.Equal(hub.Versions[3].Commit, tags[HubFixture.Alias]);
        Assert.Equal(hub.Versions[1].Commit, tags["v1"]);
        Assert.Empty(refs["converts"]!.AsArray());
    }

    [Fact]
    public async Task Paths_info_takes_a_form_as_huggingface_hub_sends_it_and_answers_lfs_and_last_commit()
    {
        using var http = hub.Http();
        using var form = new FormUrlEncodedContent([
            new("paths", "model.safetensors"), new("paths", "config.json"), new("paths", "missing.bin"), new("expand", "True")]);

        using var response = await http.PostAsync($"/hf/api/models/{Repo}/paths-info/{hub.Versions[2].Commit}", form, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var entries = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!.AsArray();
        Assert.Equal(["model.safetensors", "config.json"], entries.Select(e => e!["path"]!.GetValue<string>()));
        var weights = hub.Files[2]["model.safetensors"];
        var lfs = entries[0]!["lfs"]!;
        Assert.Equal(HubFixture.Sha256(weights), lfs["oid"]!.GetValue<string>());
        Assert.Equal(GitLfsPointerSize(HubFixture.Sha256(weights), weights.Length), lfs["pointerSize"]!.GetValue<int>());
        Assert.Matches("^[0-9a-f]{40}$", entries[0]!["oid"]!.GetValue<string>());
        Assert.Equal(hub.Versions[2].Commit, entries[1]!["lastCommit"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_model_list_pages_with_an_absolute_next_link()
    {
        using var http = hub.Http();
        var seen = new List<string>();
        string? next = "/hf/api/models?limit=1&sort=id";
        while (next is not null)
        {
            using var page = await http.GetAsync(next, Ct);
            seen.AddRange(JsonNode.Parse(await page.Content.ReadAsStringAsync(Ct))!.AsArray().Select(m => m!["id"]!.GetValue<string>()));
            next = page.Headers.TryGetValues("Link", out var links)
                ? System.Text.RegularExpressions.Regex.Match(links.Single(), "^<(http://[^>]+)>; rel=\"next\"$").Groups[1].Value
                : null;
            Assert.True(next is null || next.Length > 0, "Link must be <absolute URL>; rel=\"next\"");
        }

        Assert.Equal([$"registry/{HubFixture.Draft}", Repo, $"registry/{HubFixture.RouteLikeModel}"], seen);
    }

    [Fact]
    public async Task Model_info_answers_only_the_expanded_fields_it_was_asked_for()
    {
        using var http = hub.Http();
        var info = JsonNode.Parse(await http.GetStringAsync($"/hf/api/models/{Repo}/revision/v2?expand=sha&expand=pipeline_tag&expand[]=cardData", Ct))!
            .AsObject();

        Assert.Equal(["_id", "id", "modelId", "sha", "pipeline_tag", "cardData"], info.Select(p => p.Key));
        Assert.Equal(hub.Versions[2].Commit, info["sha"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_model_named_like_a_route_segment_is_found_in_the_namespace()
    {
        using var http = hub.Http();
        var tree = JsonNode.Parse(await http.GetStringAsync($"/hf/api/models/registry/{HubFixture.RouteLikeModel}/tree/main", Ct))!.AsArray();

        Assert.Equal(["config.json"], tree.Select(e => e!["path"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Writes_are_refused_as_read_only_and_the_routes_are_not_in_the_openapi_document()
    {
        using var http = hub.Http();
        using var commit = await http.PostAsync($"/hf/api/models/{Repo}/commit/main", new StringContent("{}"), Ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, commit.StatusCode);

        var openapi = await http.GetStringAsync("/openapi/v1.json", Ct);
        Assert.DoesNotContain("/hf/", JsonDocument.Parse(openapi).RootElement.GetProperty("paths").GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_path_with_dot_segments_is_refused_rather_than_served_for_another_repo()
    {
        var status = await RawHttp.SendAsync(hub.Server, "GET",
            $"/hf/registry/{HubFixture.Draft}/../{HubFixture.Model}/resolve/main/config.json", "hf_" + hub.ViewerToken, ct: Ct);

        Assert.Equal(400, status);
    }

    [Fact]
    public async Task The_configured_namespace_names_the_repos()
    {
        await using var app = new RegistryApp();
        app.Settings["Registry:HubCompat:Namespace"] = "acme";
        var owner = await app.CreateUserAsync(ModelRegistry.Core.Security.Roles.DataScientist);
        await app.RegisterModelAsync(owner, "bot");
        await app.CreateVersionAsync(owner, "bot");
        var http = await app.ClientForAsync(await app.CreateUserAsync());

        var info = JsonNode.Parse(await http.GetStringAsync("/hf/api/models/acme/bot/revision/latest", Ct))!;
        using var old = await http.GetAsync("/hf/api/models/registry/bot/revision/latest", Ct);

        Assert.Equal("acme/bot", info["id"]!.GetValue<string>());
        Assert.Equal("acme", info["author"]!.GetValue<string>());
        Assert.Equal((HttpStatusCode.NotFound, "RepoNotFound"), (old.StatusCode, Header(old, "X-Error-Code")));
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : null;

    private static int GitLfsPointerSize(string sha256, long size) =>
        $"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".Length;
}
