using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>A data scientist's client and a model "errors" with version 1, on one registry.</summary>
public sealed class ApiErrorFixture : IAsyncLifetime
{
    /// <summary>Webhooks may point at loopback here, so that a subscription's event names are what a test varies.</summary>
    public RegistryApp App { get; } = new() { Settings = { ["Registry:Webhooks:AllowPrivateNetworks"] = "true" } };

    public HttpClient DataScientist { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var ds = await App.CreateUserAsync(Roles.DataScientist);
        DataScientist = await App.ClientForAsync(ds);
        Admin = await App.ClientForAsync(await App.CreateUserAsync(Roles.Admin));
        await App.RegisterModelAsync(ds, "errors");
        await App.CreateVersionAsync(ds, "errors");
    }

    public async ValueTask DisposeAsync()
    {
        DataScientist.Dispose();
        Admin.Dispose();
        await App.DisposeAsync();
    }
}

/// <summary>Bad input gets the status code docs/design.md ("REST API") fixes, as RFC 9457 problem details, and changes nothing.</summary>
public sealed class ApiErrorTests(ApiErrorFixture fixture) : IClassFixture<ApiErrorFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Client => fixture.DataScientist;

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        return problem;
    }

    private static StringContent Json(string raw) => new(raw, Encoding.UTF8, "application/json");

    [Theory]
    [InlineData("Upper-Case")]
    [InlineData("has space")]
    [InlineData("a..b")]
    [InlineData("meta/llama")]
    [InlineData("")]
    [InlineData("-leading-dash")]
    [InlineData(".leading-dot")]
    [InlineData("tab\there")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task Invalid_model_name_is_400_naming_the_rule(string name)
    {
        var before = await fixture.App.StateAsync();

        var response = await Client.PostAsJsonAsync("/api/v1/models", new { name }, Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(ModelName.Rule, problem.GetProperty("detail").GetString());
        Assert.Equal(JsonValueKind.Array, problem.GetProperty("errors").GetProperty("name").ValueKind);
        Assert.Equal(before, await fixture.App.StateAsync());
    }

    [Fact]
    public async Task Model_name_ending_in_a_newline_is_400_and_nothing_is_written()
    {
        var before = await fixture.App.StateAsync();

        var response = await Client.PostAsJsonAsync("/api/v1/models", new { name = "newline\n" }, Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(ModelName.Rule, problem.GetProperty("detail").GetString());
        Assert.Equal(before, await fixture.App.StateAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync("/api/v1/models/newline%0A", Ct)).StatusCode);
    }

    /// <summary>Endings are named, not written, so test names stay printable in the JUnit report.</summary>
    private static readonly Dictionary<string, string> Endings = new()
    {
        ["newline"] = "\n",
        ["carriage return"] = "\r",
        ["line separator U+2028"] = "\u2028",
        ["trailing space"] = " ",
    };

    public static TheoryData<string, string> NamesAndEndings()
    {
        var data = new TheoryData<string, string>();
        foreach (var kind in new[]
                 {
                     "model name", "model tag", "version tag", "dataset name", "metric name", "metric dataset", "environment",
                     "deployment status", "stage", "token name", "webhook event",
                 })
        {
            foreach (var ending in Endings.Keys)
            {
                data.Add(kind, ending);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(NamesAndEndings))]
    public async Task A_name_with_a_line_break_or_space_after_it_is_400_and_nothing_is_written(string kind, string ending)
    {
        var s = Endings[ending];
        var before = await fixture.App.StateAsync();

        var response = kind switch
        {
            "model name" => await Client.PostAsJsonAsync("/api/v1/models", new { name = $"api-x{s}" }, Ct),
            "model tag" => await Client.PostAsJsonAsync("/api/v1/models", new { name = "api-tagged", tags = new[] { $"chat{s}" } }, Ct),
            "version tag" => await Client.PostAsJsonAsync("/api/v1/models/errors/versions", new { tags = new[] { $"fp16{s}" } }, Ct),
            "dataset name" => await Client.PostAsJsonAsync("/api/v1/models/errors/versions",
                new { datasets = new[] { new { name = $"wikitext{s}" } } }, Ct),
            "metric name" => await Client.PostAsJsonAsync("/api/v1/models/errors/versions/1/metrics",
                new[] { new { name = $"accuracy{s}", value = 0.9 } }, Ct),
            "metric dataset" => await Client.PostAsJsonAsync("/api/v1/models/errors/versions/1/metrics",
                new[] { new { name = "accuracy", value = 0.9, dataset = $"mmlu{s}" } }, Ct),
            "environment" => await Client.PostAsJsonAsync("/api/v1/models/errors/versions/1/deployments",
                new { environment = $"prod-eu{s}", status = "Failed" }, Ct),
            "deployment status" => await Client.PostAsJsonAsync("/api/v1/models/errors/versions/1/deployments",
                new { environment = "prod-eu", status = $"Failed{s}" }, Ct),
            "stage" => await Client.PostAsJsonAsync("/api/v1/models/errors/versions/1/transitions", new { toStage = $"Staging{s}" }, Ct),
            "token name" => await Client.PostAsJsonAsync("/api/v1/tokens", new { name = $"ci{s}" }, Ct),
            "webhook event" => await fixture.Admin.PostAsJsonAsync("/api/v1/webhooks",
                new { url = "http://127.0.0.1:9/hook", events = new[] { $"model.created{s}" } }, Ct),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(JsonValueKind.Object, problem.GetProperty("errors").ValueKind);
        Assert.Equal(before, await fixture.App.StateAsync());
    }

    [Fact]
    public async Task Missing_model_name_is_400()
    {
        var response = await Client.PostAsJsonAsync("/api/v1/models", new { displayName = "No name" }, Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(ModelName.Rule, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Duplicate_model_name_is_409_and_changes_nothing()
    {
        var before = await fixture.App.StateAsync();

        var response = await Client.PostAsJsonAsync("/api/v1/models", new { name = "errors", description = "again" }, Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Contains("errors", problem.GetProperty("detail").GetString());
        Assert.Equal(before, await fixture.App.StateAsync());
    }

    [Fact]
    public async Task Simultaneous_registrations_of_one_name_give_one_201_and_409s()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 6)
            .Select(i => Client.PostAsJsonAsync("/api/v1/models", new { name = "race", description = $"attempt {i}" }, Ct)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created),
            r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        var events = await fixture.App.AuditEventsAsync();
        Assert.Single(events, e => e.EntityId == "race");
    }

    [Theory]
    [InlineData("GET", "/api/v1/models/no-such-model")]
    [InlineData("PATCH", "/api/v1/models/no-such-model")]
    [InlineData("GET", "/api/v1/models/no-such-model/versions")]
    [InlineData("POST", "/api/v1/models/no-such-model/versions")]
    [InlineData("GET", "/api/v1/models/no-such-model/versions/1")]
    [InlineData("PATCH", "/api/v1/models/no-such-model/versions/1")]
    [InlineData("GET", "/api/v1/models/errors/versions/999")]
    [InlineData("PATCH", "/api/v1/models/errors/versions/999")]
    [InlineData("GET", "/api/v1/models/errors/versions/0")]
    [InlineData("GET", "/api/v1/models/Errors")]
    public async Task Unknown_model_or_version_is_404(string method, string path)
    {
        var before = await fixture.App.StateAsync();

        var response = await Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "GET" ? null : JsonContent.Create(new { description = "x" }),
        }, Ct);

        await ProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Equal(before, await fixture.App.StateAsync());
    }

    [Theory]
    [InlineData("POST", "/api/v1/models", "{\"name\": ")]
    [InlineData("POST", "/api/v1/models", "{\"name\": \"ok-name\",}")]
    [InlineData("POST", "/api/v1/models", "{\"name\": 5}")]
    [InlineData("POST", "/api/v1/models", "{\"name\": \"typed\", \"tags\": \"not-a-list\"}")]
    [InlineData("POST", "/api/v1/models", "[]")]
    [InlineData("POST", "/api/v1/models", "")]
    [InlineData("PATCH", "/api/v1/models/errors", "{\"description\": ")]
    [InlineData("POST", "/api/v1/models/errors/versions", "{\"parameterCount\": \"lots\"}")]
    [InlineData("POST", "/api/v1/models/errors/versions", "{\"format\": \"zip\"}")]
    [InlineData("POST", "/api/v1/models/errors/versions", "{\"format\": 1}")]
    [InlineData("POST", "/api/v1/models/errors/versions", "not json")]
    [InlineData("PATCH", "/api/v1/models/errors/versions/1", "{\"contextLength\": 1.5}")]
    public async Task Malformed_json_is_400_and_changes_nothing(string method, string path, string body)
    {
        var before = await fixture.App.StateAsync();

        var response = await Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = Json(body) }, Ct);

        await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(before, await fixture.App.StateAsync());
    }

    [Theory]
    [InlineData("{\"parameterCount\": -1}", "parameterCount")]
    [InlineData("{\"contextLength\": 0}", "contextLength")]
    [InlineData("{\"parentVersion\": 7}", "parentVersion")]
    [InlineData("{\"datasets\": [{\"name\": \"d\", \"sha256\": \"1234\"}]}", "datasets[0].sha256")]
    [InlineData("{\"datasets\": [{\"name\": \"d\", \"uri\": \"relative/path\"}]}", "datasets[0].uri")]
    public async Task Invalid_version_metadata_is_400_naming_the_field(string body, string field)
    {
        var before = await fixture.App.StateAsync();

        var response = await Client.PostAsync("/api/v1/models/errors/versions", Json(body), Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name {field}");
        Assert.Equal(before, await fixture.App.StateAsync());
    }

    [Fact]
    public async Task Version_body_may_be_omitted()
    {
        var response = await Client.PostAsync("/api/v1/models/errors/versions", null, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var version = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal($"/api/v1/models/errors/versions/{version.GetProperty("number").GetInt32()}", response.Headers.Location?.OriginalString);
    }

    [Theory]
    [InlineData("stage=Live")]
    [InlineData("stage=2")]
    [InlineData("stage=Staging,Production")]
    [InlineData("sort=size")]
    [InlineData("sort=-")]
    [InlineData("sort=1")]
    [InlineData("sort=updated,name")]
    [InlineData("sort=--name")]
    [InlineData("page=0")]
    [InlineData("page=-1")]
    [InlineData("page=abc")]
    [InlineData("page=1.5")]
    [InlineData("pageSize=0")]
    [InlineData("pageSize=201")]
    [InlineData("pageSize=lots")]
    public async Task Bad_list_query_is_400(string query)
    {
        var response = await Client.GetAsync($"/api/v1/models?{query}", Ct);

        await ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("page=0")]
    [InlineData("pageSize=0")]
    [InlineData("pageSize=201")]
    [InlineData("page=x")]
    public async Task Bad_version_list_query_is_400(string query)
    {
        var response = await Client.GetAsync($"/api/v1/models/errors/versions?{query}", Ct);

        await ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("stage=staging")]
    [InlineData("stage=Production")]
    [InlineData("sort=-name")]
    [InlineData("sort=Created")]
    [InlineData("page=3&pageSize=200")]
    public async Task Good_list_query_is_200(string query)
    {
        var response = await Client.GetAsync($"/api/v1/models?{query}", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("mr_thisisnotarealtokenatallbutlookslikeone0000")]
    [InlineData("not-even-our-format")]
    public async Task Bogus_bearer_token_is_401(string token)
    {
        using var client = fixture.App.AnonymousClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"Bearer {token}");

        var response = await client.GetAsync("/api/v1/models", Ct);

        await ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Revoked_token_is_401_on_the_next_call()
    {
        var ds = await fixture.App.CreateUserAsync(Roles.DataScientist);
        var created = await fixture.App.Get<TokenService>().CreateAsync(ds.Actor, ds.Id, "soon revoked", null, Ct);
        using var client = fixture.App.AnonymousClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/models", Ct)).StatusCode);

        await fixture.App.Get<TokenService>().RevokeAsync(ds.Actor, created.Info.Id, Ct);

        await ProblemAsync(await client.GetAsync("/api/v1/models", Ct), HttpStatusCode.Unauthorized);
        await ProblemAsync(await client.PostAsJsonAsync("/api/v1/models", new { name = "after-revocation" }, Ct),
            HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Forbidden_call_is_403_and_changes_nothing()
    {
        var reviewer = await fixture.App.CreateUserAsync(Roles.Reviewer);
        using var client = await fixture.App.ClientForAsync(reviewer);
        var before = await fixture.App.StateAsync();

        var responses = new[]
        {
            await client.PostAsJsonAsync("/api/v1/models", new { name = "reviewer-model" }, Ct),
            await client.PatchAsJsonAsync("/api/v1/models/errors", new { description = "reviewer was here" }, Ct),
            await client.PostAsJsonAsync("/api/v1/models/errors/versions", new { source = "reviewer" }, Ct),
            await client.PatchAsJsonAsync("/api/v1/models/errors/versions/1", new { description = "reviewer was here" }, Ct),
        };

        foreach (var response in responses)
        {
            await ProblemAsync(response, HttpStatusCode.Forbidden);
        }

        Assert.Equal(before, await fixture.App.StateAsync());
    }

    [Fact]
    public async Task No_op_patch_is_200_and_records_nothing()
    {
        var model = await Client.GetFromJsonAsync<JsonElement>("/api/v1/models/errors", Ct);
        var before = await fixture.App.StateAsync();

        var patches = new[]
        {
            await Client.PatchAsJsonAsync("/api/v1/models/errors", new { }, Ct),
            await Client.PatchAsJsonAsync("/api/v1/models/errors",
                new { displayName = model.GetProperty("displayName").GetString(), description = model.GetProperty("description").GetString() }, Ct),
            await Client.PatchAsJsonAsync("/api/v1/models/errors/versions/1", new { }, Ct),
        };

        foreach (var patch in patches)
        {
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        }

        Assert.Equal(before, await fixture.App.StateAsync());
    }

    [Fact]
    public async Task Display_name_over_the_limit_is_400_naming_the_field()
    {
        var response = await Client.PostAsJsonAsync("/api/v1/models",
            new { name = "limits", displayName = new string('d', ModelService.MaxDisplayName + 1) }, Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("displayName", out _));
    }
}
