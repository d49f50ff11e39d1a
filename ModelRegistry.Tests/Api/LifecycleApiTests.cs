using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Core;
using ModelRegistry.Tests.Infrastructure;
using static ModelRegistry.Tests.Infrastructure.LifecycleAppExtensions;

namespace ModelRegistry.Tests.Api;

/// <summary>The same registry on PostgreSQL.</summary>
public sealed class PostgresLifecycleApiFixture() : LifecycleApiFixture(new PostgresRegistryApp());

/// <summary>A registry with API clients for a requesting data scientist, another data scientist, and a reviewer.</summary>
public class LifecycleApiFixture : IAsyncLifetime
{
    public LifecycleApiFixture() : this(new RegistryApp())
    {
    }

    protected LifecycleApiFixture(RegistryApp app) => App = app;

    public RegistryApp App { get; }
    public TestUser Ds { get; private set; } = null!;
    public TestUser Reviewer { get; private set; } = null!;
    public HttpClient DsClient { get; private set; } = null!;
    public HttpClient OtherDsClient { get; private set; } = null!;
    public HttpClient ReviewerClient { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Ds = await App.CreateUserAsync(Roles.DataScientist);
        Reviewer = await App.CreateUserAsync(Roles.Reviewer);
        DsClient = await App.ClientForAsync(Ds);
        OtherDsClient = await App.ClientForAsync(await App.CreateUserAsync(Roles.DataScientist));
        ReviewerClient = await App.ClientForAsync(Reviewer);
    }

    /// <summary>A fresh model with <paramref name="versions"/> versions.</summary>
    public async Task<string> ModelAsync(string prefix, int versions = 1)
    {
        var model = Unique(prefix);
        await App.ModelWithVersionsAsync(Ds, model, versions);
        return model;
    }

    public async ValueTask DisposeAsync()
    {
        DsClient.Dispose();
        OtherDsClient.Dispose();
        ReviewerClient.Dispose();
        await App.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The lifecycle API's behaviour and every bad input of issue 5, with the status codes docs/design.md ("REST API") fixes.</summary>
public sealed class LifecycleApiTests(LifecycleApiFixture fixture) : LifecycleApiTestsCases<LifecycleApiFixture>(fixture);

/// <summary>The same cases on PostgreSQL.</summary>
public sealed class LifecycleApiTestsOnPostgres(PostgresLifecycleApiFixture fixture) : LifecycleApiTestsCases<PostgresLifecycleApiFixture>(fixture);

public abstract class LifecycleApiTestsCases<TFixture>(TFixture fixture) : IClassFixture<TFixture> where TFixture : LifecycleApiFixture
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private RegistryApp App => fixture.App;

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    private static Task<HttpResponseMessage> RequestAsync(HttpClient client, string model, int number, object body) =>
        client.PostAsJsonAsync($"/api/v1/models/{model}/versions/{number}/transitions", body, Ct);

    private async Task<long> PendingAsync(string model, int number = 1, string to = "Staging")
    {
        var response = await RequestAsync(fixture.DsClient, model, number, new { toStage = to, comment = "Ready." });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
    }

    [Fact]
    public async Task A_pipeline_requests_production_a_reviewer_approves_and_the_stage_resolves_to_it()
    {
        var model = await fixture.ModelAsync("api-flow", versions: 2);
        await App.PromoteAsync(fixture.Ds, fixture.Reviewer, model, 1, Stage.Production);
        var id = await PendingAsync(model, 2, "production");

        var approve = await fixture.ReviewerClient.PostAsJsonAsync($"/api/v1/transitions/{id}/approve", new { comment = "Metrics hold up." }, Ct);
        Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
        var approved = await approve.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("Approved", approved.GetProperty("status").GetString());
        Assert.Equal(fixture.Reviewer.Email, approved.GetProperty("decidedBy").GetString());

        var production = await fixture.DsClient.GetFromJsonAsync<JsonElement>($"/api/v1/models/{model}/stages/production", Ct);
        Assert.Equal(2, production.GetProperty("number").GetInt32());
        var archived = await fixture.DsClient.GetFromJsonAsync<JsonElement>($"/api/v1/models/{model}/stages/Archived", Ct);
        Assert.Equal(1, archived.GetProperty("number").GetInt32());
    }

    [Fact]
    public async Task Approving_ones_own_request_is_403()
    {
        var admin = await App.CreateUserAsync(Roles.Admin, Roles.Reviewer);
        using var client = await App.ClientForAsync(admin);
        var model = await fixture.ModelAsync("api-own");
        var response = await RequestAsync(client, model, 1, new { toStage = "Staging" });
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();

        var problem = await ProblemAsync(await client.PostAsJsonAsync($"/api/v1/transitions/{id}/approve", new { }, Ct), HttpStatusCode.Forbidden);
        Assert.Contains("your own request", problem.GetProperty("detail").GetString());
        await ProblemAsync(await client.PostAsJsonAsync($"/api/v1/transitions/{id}/reject", new { comment = "no" }, Ct), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Deciding_an_already_decided_or_cancelled_request_is_409()
    {
        var model = await fixture.ModelAsync("api-decided", versions: 2);
        var decided = await PendingAsync(model, 1);
        Assert.Equal(HttpStatusCode.OK, (await fixture.ReviewerClient.PostAsJsonAsync($"/api/v1/transitions/{decided}/approve", new { }, Ct)).StatusCode);
        var cancelled = await PendingAsync(model, 2);
        Assert.Equal(HttpStatusCode.OK, (await fixture.DsClient.PostAsync($"/api/v1/transitions/{cancelled}/cancel", null, Ct)).StatusCode);

        foreach (var id in new[] { decided, cancelled })
        {
            await ProblemAsync(await fixture.ReviewerClient.PostAsJsonAsync($"/api/v1/transitions/{id}/approve", new { }, Ct), HttpStatusCode.Conflict);
            await ProblemAsync(await fixture.ReviewerClient.PostAsJsonAsync($"/api/v1/transitions/{id}/reject", new { comment = "late" }, Ct),
                HttpStatusCode.Conflict);
            await ProblemAsync(await fixture.DsClient.PostAsync($"/api/v1/transitions/{id}/cancel", null, Ct), HttpStatusCode.Conflict);
        }
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"comment\":\"\"}")]
    [InlineData("{\"comment\":\"   \"}")]
    [InlineData("")]
    public async Task Rejecting_without_a_comment_is_400(string body)
    {
        var model = await fixture.ModelAsync("api-reject");
        var id = await PendingAsync(model);
        var before = await App.LastAuditSequenceAsync();

        var response = await fixture.ReviewerClient.PostAsync($"/api/v1/transitions/{id}/reject",
            body.Length == 0 ? null : new StringContent(body, Encoding.UTF8, "application/json"), Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(JsonValueKind.Array, problem.GetProperty("errors").GetProperty("comment").ValueKind);
        Assert.Empty(await App.AuditEventsAsync(before));
    }

    [Theory]
    [InlineData("Live")]
    [InlineData("Staging,Production")]
    [InlineData("2")]
    [InlineData("None")]
    [InlineData("")]
    public async Task A_request_to_an_unknown_or_no_stage_is_400(string toStage)
    {
        var model = await fixture.ModelAsync("api-bad-target");

        var problem = await ProblemAsync(await RequestAsync(fixture.DsClient, model, 1, new { toStage }), HttpStatusCode.BadRequest);

        Assert.Equal(JsonValueKind.Array, problem.GetProperty("errors").GetProperty("toStage").ValueKind);
    }

    [Fact]
    public async Task A_request_without_a_body_is_400()
    {
        var model = await fixture.ModelAsync("api-no-body");

        await ProblemAsync(await fixture.DsClient.PostAsync($"/api/v1/models/{model}/versions/1/transitions", null, Ct), HttpStatusCode.BadRequest);
        await ProblemAsync(await fixture.DsClient.PostAsync($"/api/v1/models/{model}/versions/1/transitions",
            new StringContent("{\"toStage\":", Encoding.UTF8, "application/json"), Ct), HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("Live")]
    [InlineData("prod")]
    [InlineData("Staging,Production")]
    [InlineData("3")]
    public async Task Resolving_an_unknown_stage_name_is_400(string stage)
    {
        var model = await fixture.ModelAsync("api-bad-stage");

        var problem = await ProblemAsync(await fixture.DsClient.GetAsync($"/api/v1/models/{model}/stages/{stage}", Ct), HttpStatusCode.BadRequest);

        Assert.Contains("Production", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Resolving_a_stage_no_version_holds_is_404()
    {
        var model = await fixture.ModelAsync("api-empty-stage");

        var problem = await ProblemAsync(await fixture.DsClient.GetAsync($"/api/v1/models/{model}/stages/Production", Ct), HttpStatusCode.NotFound);
        Assert.Contains("No version", problem.GetProperty("detail").GetString());
        await ProblemAsync(await fixture.DsClient.GetAsync("/api/v1/models/no-such-model/stages/Production", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_request_to_the_stage_the_version_is_in_is_409()
    {
        var model = await fixture.ModelAsync("api-same");
        await App.PromoteAsync(fixture.Ds, fixture.Reviewer, model, 1, Stage.Staging);

        var problem = await ProblemAsync(await RequestAsync(fixture.DsClient, model, 1, new { toStage = "Staging" }), HttpStatusCode.Conflict);

        Assert.Contains("already in Staging", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_second_open_request_for_a_version_is_409()
    {
        var model = await fixture.ModelAsync("api-second");
        await PendingAsync(model);

        await ProblemAsync(await RequestAsync(fixture.OtherDsClient, model, 1, new { toStage = "Production" }), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Cancelling_another_users_request_is_403_and_ones_own_is_200()
    {
        var model = await fixture.ModelAsync("api-cancel");
        var id = await PendingAsync(model);

        await ProblemAsync(await fixture.OtherDsClient.PostAsync($"/api/v1/transitions/{id}/cancel", null, Ct), HttpStatusCode.Forbidden);
        await ProblemAsync(await fixture.ReviewerClient.PostAsync($"/api/v1/transitions/{id}/cancel", null, Ct), HttpStatusCode.Forbidden);

        var own = await fixture.DsClient.PostAsync($"/api/v1/transitions/{id}/cancel", null, Ct);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal("Cancelled", (await own.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Unknown_requests_models_and_versions_are_404()
    {
        var model = await fixture.ModelAsync("api-404");

        await ProblemAsync(await fixture.ReviewerClient.GetAsync("/api/v1/transitions/999999", Ct), HttpStatusCode.NotFound);
        await ProblemAsync(await fixture.ReviewerClient.PostAsJsonAsync("/api/v1/transitions/999999/approve", new { }, Ct), HttpStatusCode.NotFound);
        await ProblemAsync(await fixture.DsClient.PostAsJsonAsync("/api/v1/transitions/999999/comments", new { text = "hi" }, Ct), HttpStatusCode.NotFound);
        await ProblemAsync(await RequestAsync(fixture.DsClient, model, 7, new { toStage = "Staging" }), HttpStatusCode.NotFound);
        await ProblemAsync(await RequestAsync(fixture.DsClient, "no-such-model", 1, new { toStage = "Staging" }), HttpStatusCode.NotFound);
        await ProblemAsync(await fixture.DsClient.GetAsync("/api/v1/deployments/999999", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_comment_needs_text()
    {
        var model = await fixture.ModelAsync("api-comment");
        var id = await PendingAsync(model);

        var problem = await ProblemAsync(await fixture.ReviewerClient.PostAsJsonAsync($"/api/v1/transitions/{id}/comments", new { text = " " }, Ct),
            HttpStatusCode.BadRequest);
        Assert.Equal(JsonValueKind.Array, problem.GetProperty("errors").GetProperty("text").ValueKind);

        var ok = await fixture.ReviewerClient.PostAsJsonAsync($"/api/v1/transitions/{id}/comments", new { text = "Which eval set?" }, Ct);
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        var request = await fixture.DsClient.GetFromJsonAsync<JsonElement>($"/api/v1/transitions/{id}", Ct);
        Assert.Equal("Which eval set?", request.GetProperty("comments")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Listing_filters_by_status_and_model_and_pages()
    {
        var model = await fixture.ModelAsync("api-list", versions: 3);
        var a = await PendingAsync(model, 1);
        var b = await PendingAsync(model, 2);
        var c = await PendingAsync(model, 3);
        await fixture.ReviewerClient.PostAsJsonAsync($"/api/v1/transitions/{a}/reject", new { comment = "No." }, Ct);

        var pending = await fixture.DsClient.GetFromJsonAsync<JsonElement>($"/api/v1/transitions?status=pending&model={model}", Ct);
        Assert.Equal([c, b], pending.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()));
        Assert.Equal(2, pending.GetProperty("total").GetInt32());
        var rejected = await fixture.DsClient.GetFromJsonAsync<JsonElement>($"/api/v1/transitions?status=Rejected&model={model}", Ct);
        Assert.Equal([a], rejected.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()));
        var page2 = await fixture.DsClient.GetFromJsonAsync<JsonElement>($"/api/v1/transitions?model={model}&page=2&pageSize=2", Ct);
        Assert.Equal(3, page2.GetProperty("total").GetInt32());
        Assert.Equal([a], page2.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()));

        await ProblemAsync(await fixture.DsClient.GetAsync("/api/v1/transitions?status=Open", Ct), HttpStatusCode.BadRequest);
        await ProblemAsync(await fixture.DsClient.GetAsync("/api/v1/transitions?pageSize=500", Ct), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Deploying_a_version_in_no_stage_is_409()
    {
        var model = await fixture.ModelAsync("api-deploy-none");
        var before = await App.StateAsync();

        var problem = await ProblemAsync(await fixture.DsClient.PostAsJsonAsync($"/api/v1/models/{model}/versions/1/deployments",
            new { environment = "prod-eu", status = "Deployed" }, Ct), HttpStatusCode.Conflict);

        Assert.Contains("Only Staging or Production", problem.GetProperty("detail").GetString());
        Assert.Equal(before, await App.StateAsync());
    }

    [Fact]
    public async Task A_failed_attempt_at_a_version_in_no_stage_is_recorded()
    {
        var model = await fixture.ModelAsync("api-deploy-failed");

        var response = await fixture.DsClient.PostAsJsonAsync($"/api/v1/models/{model}/versions/1/deployments",
            new { environment = "prod-eu", status = "Failed", externalRef = "https://ci.example.com/pipelines/9" }, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var recorded = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(("Failed", "None"), (recorded.GetProperty("status").GetString(), recorded.GetProperty("versionStage").GetString()));
        var listed = await fixture.DsClient.GetFromJsonAsync<JsonElement>($"/api/v1/deployments?model={model}", Ct);
        Assert.Equal("Failed", Assert.Single(listed.GetProperty("items").EnumerateArray()).GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("{\"status\":\"Deployed\"}", "environment")]
    [InlineData("{\"environment\":\"Prod EU\",\"status\":\"Deployed\"}", "environment")]
    [InlineData("{\"environment\":\"prod-eu\"}", "status")]
    [InlineData("{\"environment\":\"prod-eu\",\"status\":\"Shipped\"}", "status")]
    [InlineData("{\"environment\":\"prod-eu\",\"status\":\"0\"}", "status")]
    [InlineData("{\"environment\":\"prod-eu\",\"status\":\"Deployed\",\"target\":\"a\\u0000b\"}", "target")]
    public async Task Bad_deployment_input_is_400(string body, string field)
    {
        var model = await fixture.ModelAsync("api-deploy-bad");
        await App.PromoteAsync(fixture.Ds, fixture.Reviewer, model, 1, Stage.Staging);

        var response = await fixture.DsClient.PostAsync($"/api/v1/models/{model}/versions/1/deployments",
            new StringContent(body, Encoding.UTF8, "application/json"), Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(JsonValueKind.Array, problem.GetProperty("errors").GetProperty(field).ValueKind);
    }

    [Fact]
    public async Task Deployments_are_listed_by_environment_and_model()
    {
        var model = await fixture.ModelAsync("api-deploy-list", versions: 2);
        await App.PromoteAsync(fixture.Ds, fixture.Reviewer, model, 1, Stage.Staging);
        await App.PromoteAsync(fixture.Ds, fixture.Reviewer, model, 2, Stage.Production);
        foreach (var (number, env) in new[] { (1, "staging"), (2, "prod-eu"), (2, "prod-us") })
        {
            var created = await fixture.DsClient.PostAsJsonAsync($"/api/v1/models/{model}/versions/{number}/deployments",
                new { environment = env, status = "Deployed", target = $"https://{env}.example.com", notes = "via API" }, Ct);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var all = await fixture.DsClient.GetFromJsonAsync<JsonElement>($"/api/v1/deployments?model={model}", Ct);
        Assert.Equal(3, all.GetProperty("total").GetInt32());
        Assert.Equal(["prod-us", "prod-eu", "staging"], all.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("environment").GetString()));
        var eu = await fixture.DsClient.GetFromJsonAsync<JsonElement>($"/api/v1/deployments?environment=prod-eu&model={model}", Ct);
        var item = Assert.Single(eu.GetProperty("items").EnumerateArray());
        Assert.Equal((2, "Production", "https://prod-eu.example.com"),
            (item.GetProperty("versionNumber").GetInt32(), item.GetProperty("versionStage").GetString(), item.GetProperty("target").GetString()));
    }

    [Fact]
    public async Task Many_parallel_decisions_on_one_request_have_one_winner_and_one_audit_event()
    {
        var model = await fixture.ModelAsync("api-race");
        var id = await PendingAsync(model, 1, "Production");
        var clients = new List<HttpClient>();
        for (var i = 0; i < 16; i++)
        {
            clients.Add(await App.ClientForAsync(await App.CreateUserAsync(i % 4 == 0 ? Roles.Admin : Roles.Reviewer)));
        }

        var before = await App.LastAuditSequenceAsync();
        try
        {
            var responses = await Task.WhenAll(clients.Select((c, i) => i % 2 == 0
                ? c.PostAsJsonAsync($"/api/v1/transitions/{id}/approve", new { comment = $"yes {i}" }, Ct)
                : c.PostAsJsonAsync($"/api/v1/transitions/{id}/reject", new { comment = $"no {i}" }, Ct)));

            var codes = responses.Select(r => r.StatusCode).ToList();
            Assert.Equal(1, codes.Count(c => c == HttpStatusCode.OK));
            Assert.Equal(clients.Count - 1, codes.Count(c => c == HttpStatusCode.Conflict));
            var winner = await responses.Single(r => r.StatusCode == HttpStatusCode.OK).Content.ReadFromJsonAsync<JsonElement>(Ct);
            var events = await App.AuditEventsAsync(before);
            var decision = Assert.Single(events, e => e.Action is AuditActions.TransitionApproved or AuditActions.TransitionRejected);
            Assert.Equal(winner.GetProperty("status").GetString() == "Approved" ? AuditActions.TransitionApproved : AuditActions.TransitionRejected,
                decision.Action);
            Assert.Equal(winner.GetProperty("status").GetString() == "Approved" ? 1 : 0,
                events.Count(e => e.Action == AuditActions.VersionStageChanged));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }
}

/// <summary>The gate refusal as an API caller sees it: 409 with every unmet gate under <c>unmetGates</c>.</summary>
public sealed class LifecycleGateApiTests(GatedRegistry registry) : IClassFixture<GatedRegistry>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_request_refused_by_gates_is_409_listing_every_unmet_gate()
    {
        var app = registry.App;
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        using var client = await app.ClientForAsync(ds);
        var model = Unique("api-gates");
        await app.ModelWithVersionsAsync(ds, model, 1);

        var response = await client.PostAsJsonAsync($"/api/v1/models/{model}/versions/1/transitions", new { toStage = "Production" }, Ct);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("Policy gates not met", problem.GetProperty("title").GetString());
        var unmet = problem.GetProperty("unmetGates").EnumerateArray().Select(g => (g.GetProperty("gate").GetString(), g.GetProperty("message").GetString())).ToList();
        Assert.Equal([(TestGates.DescriptionGate.GateName, "The version has no description."), (TestGates.ReviewedTagGate.GateName, "The version is not tagged 'reviewed'.")],
            unmet);

        var staging = await client.PostAsJsonAsync($"/api/v1/models/{model}/versions/1/transitions", new { toStage = "Staging" }, Ct);
        var stagingProblem = await staging.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal([TestGates.ReviewedTagGate.GateName],
            stagingProblem.GetProperty("unmetGates").EnumerateArray().Select(g => g.GetProperty("gate").GetString()));
    }
}
