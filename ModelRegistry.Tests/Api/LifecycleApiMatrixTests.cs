using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Deployments;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// One registry with an API client per role, a data scientist who makes the requests (so no role under test is the
/// requester), a reviewer who approves set-up moves, and a model whose versions each test adds as it needs them.
/// </summary>
public sealed class LifecycleMatrixFixture : IAsyncLifetime
{
    public const string Model = "lifecycle-matrix";

    private readonly Dictionary<string, HttpClient> _clients = new();

    public RegistryApp App { get; } = new();
    public TestUser Requester { get; private set; } = null!;
    public TestUser Reviewer { get; private set; } = null!;
    public long DeploymentId { get; private set; }

    public HttpClient ClientFor(string role) => _clients[role];

    public async ValueTask InitializeAsync()
    {
        foreach (var role in ApiAccessMatrixTests.AllRoles)
        {
            var user = await App.CreateUserAsync(role == Roles.Viewer ? [] : [role]);
            _clients[role] = await App.ClientForAsync(user);
        }

        Requester = await App.CreateUserAsync(Roles.DataScientist);
        Reviewer = await App.CreateUserAsync(Roles.Reviewer);
        await App.RegisterModelAsync(Requester, Model);
        var first = await NewVersionAsync();
        await App.PromoteAsync(Requester, Reviewer, Model, first, Stage.Production);
        DeploymentId = (await App.Get<DeploymentService>().RecordAsync(Requester.Actor, Model, first, new DeploymentInput("prod-eu"),
            TestContext.Current.CancellationToken)).Id;
    }

    /// <summary>Adds the model's next version.</summary>
    public async Task<int> NewVersionAsync() => (await App.CreateVersionAsync(Requester, Model)).Number;

    /// <summary>A new version with a pending request to Staging made by <see cref="Requester"/>.</summary>
    public async Task<TransitionRequestInfo> PendingRequestAsync() =>
        await App.RequestAsync(Requester, Model, await NewVersionAsync(), Stage.Staging);

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }

        await App.DisposeAsync();
    }
}

/// <summary>The roles matrix of docs/design.md ("Roles") for every lifecycle and deployment endpoint, as an API caller meets it.</summary>
public sealed class LifecycleApiMatrixTests(LifecycleMatrixFixture fixture) : IClassFixture<LifecycleMatrixFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> EveryRole() => new(ApiAccessMatrixTests.AllRoles);

    private static bool IsIn(string role, params string[] roles) => roles.Contains(role);

    private async Task AssertForbiddenAsync(HttpResponseMessage response, long auditBefore)
    {
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await fixture.App.AuditEventsAsync(auditBefore));
    }

    private async Task<TransitionStatus> StatusOfAsync(long id) =>
        (await fixture.App.Get<LifecycleQueries>().GetAsync(id, Ct)).Status;

    [Theory]
    [MemberData(nameof(EveryRole))]
    public async Task Requesting_a_transition_is_for_data_scientists_and_admins(string role)
    {
        var number = await fixture.NewVersionAsync();
        var before = await fixture.App.LastAuditSequenceAsync();

        var response = await fixture.ClientFor(role).PostAsJsonAsync(
            $"/api/v1/models/{LifecycleMatrixFixture.Model}/versions/{number}/transitions", new { toStage = "Staging", comment = $"by {role}" }, Ct);

        if (IsIn(role, Roles.DataScientist, Roles.Admin))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal("Pending", body.GetProperty("status").GetString());
            Assert.Equal("Staging", body.GetProperty("toStage").GetString());
            Assert.Equal($"by {role}", body.GetProperty("justification").GetString());
            Assert.Equal($"/api/v1/transitions/{body.GetProperty("id").GetInt64()}", response.Headers.Location?.OriginalString);
            Assert.Equal(AuditActions.TransitionRequested, Assert.Single(await fixture.App.AuditEventsAsync(before)).Action);
        }
        else
        {
            await AssertForbiddenAsync(response, before);
        }
    }

    [Theory]
    [MemberData(nameof(EveryRole))]
    public async Task Approving_is_for_reviewers_and_admins(string role)
    {
        var request = await fixture.PendingRequestAsync();
        var before = await fixture.App.LastAuditSequenceAsync();

        var response = await fixture.ClientFor(role).PostAsJsonAsync($"/api/v1/transitions/{request.Id}/approve", new { comment = "fine" }, Ct);

        if (IsIn(role, Roles.Reviewer, Roles.Admin))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal("Approved", body.GetProperty("status").GetString());
            Assert.Equal("fine", body.GetProperty("decisionComment").GetString());
            Assert.Equal([AuditActions.TransitionApproved, AuditActions.VersionStageChanged, AuditActions.AttestationSigned],
                (await fixture.App.AuditEventsAsync(before)).Select(e => e.Action));
        }
        else
        {
            await AssertForbiddenAsync(response, before);
            Assert.Equal(TransitionStatus.Pending, await StatusOfAsync(request.Id));
        }
    }

    [Theory]
    [MemberData(nameof(EveryRole))]
    public async Task Rejecting_is_for_reviewers_and_admins(string role)
    {
        var request = await fixture.PendingRequestAsync();
        var before = await fixture.App.LastAuditSequenceAsync();

        var response = await fixture.ClientFor(role).PostAsJsonAsync($"/api/v1/transitions/{request.Id}/reject",
            new { comment = "Latency budget exceeded." }, Ct);

        if (IsIn(role, Roles.Reviewer, Roles.Admin))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal("Rejected", body.GetProperty("status").GetString());
            Assert.Equal(AuditActions.TransitionRejected, Assert.Single(await fixture.App.AuditEventsAsync(before)).Action);
        }
        else
        {
            await AssertForbiddenAsync(response, before);
            Assert.Equal(TransitionStatus.Pending, await StatusOfAsync(request.Id));
        }
    }

    [Theory]
    [MemberData(nameof(EveryRole))]
    public async Task Cancelling_someone_elses_request_is_for_admins_only(string role)
    {
        var request = await fixture.PendingRequestAsync();
        var before = await fixture.App.LastAuditSequenceAsync();

        var response = await fixture.ClientFor(role).PostAsync($"/api/v1/transitions/{request.Id}/cancel", null, Ct);

        if (role == Roles.Admin)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("Cancelled", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("status").GetString());
            Assert.Equal(AuditActions.TransitionCancelled, Assert.Single(await fixture.App.AuditEventsAsync(before)).Action);
        }
        else
        {
            await AssertForbiddenAsync(response, before);
            Assert.Equal(TransitionStatus.Pending, await StatusOfAsync(request.Id));
        }
    }

    [Theory]
    [MemberData(nameof(EveryRole))]
    public async Task Commenting_is_for_those_who_request_or_decide(string role)
    {
        var request = await fixture.PendingRequestAsync();
        var before = await fixture.App.LastAuditSequenceAsync();

        var response = await fixture.ClientFor(role).PostAsJsonAsync($"/api/v1/transitions/{request.Id}/comments",
            new { text = $"A question from {role}." }, Ct);

        if (IsIn(role, Roles.DataScientist, Roles.Reviewer, Roles.Admin))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            Assert.Equal($"A question from {role}.", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("text").GetString());
            Assert.Equal(AuditActions.TransitionCommented, Assert.Single(await fixture.App.AuditEventsAsync(before)).Action);
        }
        else
        {
            await AssertForbiddenAsync(response, before);
        }
    }

    [Theory]
    [MemberData(nameof(EveryRole))]
    public async Task Recording_a_deployment_is_for_data_scientists_and_admins(string role)
    {
        var before = await fixture.App.LastAuditSequenceAsync();

        var response = await fixture.ClientFor(role).PostAsJsonAsync($"/api/v1/models/{LifecycleMatrixFixture.Model}/versions/1/deployments",
            new { environment = "prod-us", status = "Deployed", externalRef = $"https://ci.example.com/runs/{role}" }, Ct);

        if (IsIn(role, Roles.DataScientist, Roles.Admin))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal("prod-us", body.GetProperty("environment").GetString());
            Assert.Equal("Deployed", body.GetProperty("status").GetString());
            Assert.Equal($"/api/v1/deployments/{body.GetProperty("id").GetInt64()}", response.Headers.Location?.OriginalString);
            Assert.Equal(AuditActions.DeploymentRecorded, Assert.Single(await fixture.App.AuditEventsAsync(before)).Action);
        }
        else
        {
            await AssertForbiddenAsync(response, before);
        }
    }

    [Theory]
    [MemberData(nameof(EveryRole))]
    public async Task Every_role_may_read_requests_stages_and_deployments(string role)
    {
        var request = await fixture.PendingRequestAsync();
        var client = fixture.ClientFor(role);

        var list = await client.GetFromJsonAsync<JsonElement>($"/api/v1/transitions?status=Pending&model={LifecycleMatrixFixture.Model}", Ct);
        Assert.Contains(list.GetProperty("items").EnumerateArray(), r => r.GetProperty("id").GetInt64() == request.Id);
        Assert.True(list.GetProperty("total").GetInt32() >= 1);

        var one = await client.GetFromJsonAsync<JsonElement>($"/api/v1/transitions/{request.Id}", Ct);
        Assert.Equal(request.VersionNumber, one.GetProperty("versionNumber").GetInt32());

        var production = await client.GetFromJsonAsync<JsonElement>($"/api/v1/models/{LifecycleMatrixFixture.Model}/stages/Production", Ct);
        Assert.Equal(1, production.GetProperty("number").GetInt32());
        Assert.Equal("Production", production.GetProperty("stage").GetString());

        var deployments = await client.GetFromJsonAsync<JsonElement>($"/api/v1/deployments?environment=prod-eu&model={LifecycleMatrixFixture.Model}", Ct);
        Assert.Equal(1, deployments.GetProperty("total").GetInt32());
        var deployment = await client.GetFromJsonAsync<JsonElement>($"/api/v1/deployments/{fixture.DeploymentId}", Ct);
        Assert.Equal("prod-eu", deployment.GetProperty("environment").GetString());
    }

    [Theory]
    [InlineData("POST", "/api/v1/models/lifecycle-matrix/versions/1/transitions")]
    [InlineData("GET", "/api/v1/transitions")]
    [InlineData("GET", "/api/v1/transitions/1")]
    [InlineData("POST", "/api/v1/transitions/1/approve")]
    [InlineData("POST", "/api/v1/transitions/1/reject")]
    [InlineData("POST", "/api/v1/transitions/1/cancel")]
    [InlineData("POST", "/api/v1/transitions/1/comments")]
    [InlineData("GET", "/api/v1/models/lifecycle-matrix/stages/Production")]
    [InlineData("POST", "/api/v1/models/lifecycle-matrix/versions/1/deployments")]
    [InlineData("GET", "/api/v1/deployments")]
    [InlineData("GET", "/api/v1/deployments/1")]
    public async Task Anonymous_caller_gets_401(string method, string path)
    {
        using var client = fixture.App.AnonymousClient();
        var before = await fixture.App.LastAuditSequenceAsync();

        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "GET" ? null : JsonContent.Create(new { toStage = "Staging", comment = "x", text = "x", environment = "prod-eu", status = "Deployed" }),
        }, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(await fixture.App.AuditEventsAsync(before));
    }
}
