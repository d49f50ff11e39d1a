using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Teams;
using ModelRegistry.Core.Webhooks;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Teams;

/// <summary>Writing to team-owned models, the teams API, /me, SSO group sync and webhook filtering.</summary>
public sealed class TeamRulesTests(TeamAccessFixture fixture) : IClassFixture<TeamAccessFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private RegistryApp App => fixture.App;
    private TestUser Member => fixture.Users[nameof(Viewer.Member)];
    private TestUser Other => fixture.Users[nameof(Viewer.OtherDataScientist)];

    /// <summary>An Internal model owned by the team: everyone reads it, only the team's data scientists write to it.</summary>
    private async Task<string> TeamOwnedInternalModelAsync(string name)
    {
        await App.RegisterModelAsync(Member, name);
        await App.Get<ModelService>().UpdateAsync(fixture.Admin.Actor, name, new UpdateModel(OwnerTeam: TeamAccessFixture.Team), Ct);
        await App.CreateVersionAsync(Member, name);
        return name;
    }

    [Fact]
    public async Task Writes_to_a_team_owned_model_need_membership_and_are_forbidden_to_other_data_scientists()
    {
        var model = await TeamOwnedInternalModelAsync("team-owned-writes");
        var before = await App.LastAuditSequenceAsync();

        await Assert.ThrowsAsync<ForbiddenException>(() => App.CreateVersionAsync(Other, model));
        await Assert.ThrowsAsync<ForbiddenException>(() => App.UploadAsync(Other, model, 1, "a.txt", [1, 2, 3]));
        await Assert.ThrowsAsync<ForbiddenException>(() => App.Get<ModelService>().UpdateAsync(Other.Actor, model,
            new UpdateModel(Description: "taken over"), Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => App.Get<LifecycleService>().RequestAsync(Other.Actor, model, 1,
            Stage.Staging, "please", Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => App.Get<ModelRegistry.Core.Aliases.AliasService>().SetAsync(Other.Actor, model, "prod", 1, Ct));
        Assert.Equal(before, await App.LastAuditSequenceAsync());

        // The member writes; over HTTP the other data scientist gets the forbidden problem (403), not a 404: the model is Internal.
        await App.CreateVersionAsync(Member, model);
        using var refused = await fixture.Clients[nameof(Viewer.OtherDataScientist)].PostAsJsonAsync($"/api/v1/models/{model}/versions", new { }, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task Restricted_model_is_a_404_to_a_non_member_writing_and_a_reviewer_cannot_decide_its_requests()
    {
        var secret = TeamAccessFixture.Secret;
        using var write = await fixture.Clients[nameof(Viewer.OtherDataScientist)].PostAsJsonAsync($"/api/v1/models/{secret}/versions", new { }, Ct);
        Assert.Equal(HttpStatusCode.NotFound, write.StatusCode);

        var request = await App.Get<LifecycleService>().RequestAsync(Member.Actor, secret, 2, Stage.Staging, "ready", Ct);
        var reviewer = fixture.Users[nameof(Viewer.Reviewer)];
        await Assert.ThrowsAsync<NotFoundException>(() => App.Get<LifecycleService>().ApproveAsync(reviewer.Actor, request.Id, "ok", Ct));
        using var queue = await fixture.Clients[nameof(Viewer.Reviewer)].GetAsync("/api/v1/transitions?status=Pending", Ct);
        Assert.DoesNotContain(secret, await queue.Content.ReadAsStringAsync(Ct));
        await App.Get<LifecycleService>().CancelAsync(Member.Actor, request.Id, Ct);
    }

    [Fact]
    public async Task Model_access_is_changed_by_an_admin_or_a_member_and_audited()
    {
        var model = await TeamOwnedInternalModelAsync("team-access-change");
        var models = App.Get<ModelService>();

        await Assert.ThrowsAsync<ForbiddenException>(() => models.UpdateAsync(Other.Actor, model,
            new UpdateModel(Visibility: ModelVisibility.Restricted), Ct));
        await Assert.ThrowsAsync<ValidationFailedException>(() => models.UpdateAsync(fixture.Admin.Actor, model,
            new UpdateModel(OwnerTeam: "", Visibility: ModelVisibility.Restricted), Ct));

        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/models/{model}")
        {
            Content = JsonContent.Create(new { visibility = "Restricted" }),
        };
        using var response = await fixture.Clients[nameof(Viewer.Member)].SendAsync(patch, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal("Restricted", body.GetProperty("visibility").GetString());
        Assert.Equal(TeamAccessFixture.Team, body.GetProperty("ownerTeam").GetString());

        var updated = (await App.AuditEventsAsync()).Last(e => e.Action == AuditActions.ModelUpdated && e.EntityId == model);
        Assert.Contains("\"visibility\"", updated.Data);
        using var hidden = await fixture.Clients[nameof(Viewer.OtherDataScientist)].GetAsync($"/api/v1/models/{model}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
    }

    [Theory]
    [InlineData("Upper")]
    [InlineData("a b")]
    [InlineData("../etc")]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("team\n")]
    [InlineData("")]
    public async Task Hostile_team_names_are_refused_with_the_rule(string name)
    {
        var admin = fixture.Clients[nameof(Viewer.Admin)];
        var before = await App.LastAuditSequenceAsync();

        using var response = await admin.PostAsJsonAsync("/api/v1/teams", new { name }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("A team name is", await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(before, await App.LastAuditSequenceAsync());
    }

    [Fact]
    public async Task Teams_api_creates_lists_adds_and_removes_members_admin_only_and_audited()
    {
        var admin = fixture.Clients[nameof(Viewer.Admin)];
        using (var refused = await fixture.Clients[nameof(Viewer.Member)].PostAsJsonAsync("/api/v1/teams", new { name = "not-mine" }, Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using (var created = await admin.PostAsJsonAsync("/api/v1/teams", new { name = "api-team", group = "grp-api" }, Ct))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("/api/v1/teams/api-team", created.Headers.Location!.OriginalString);
        }

        using (var duplicate = await admin.PostAsJsonAsync("/api/v1/teams", new { name = "api-team" }, Ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        }

        using (var added = await admin.PutAsync($"/api/v1/teams/api-team/members/{Uri.EscapeDataString(Other.Email)}", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        }

        using (var unknown = await admin.PutAsync("/api/v1/teams/api-team/members/nobody%40example.com", null, Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        var list = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/teams", Ct)).RootElement;
        var team = list.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "api-team");
        Assert.Equal("grp-api", team.GetProperty("group").GetString());
        Assert.Equal([Other.Email], team.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("email").GetString()));

        using (var removed = await admin.DeleteAsync($"/api/v1/teams/api-team/members/{Uri.EscapeDataString(Other.Email)}", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        }

        var actions = (await App.AuditEventsAsync()).Where(e => e.EntityId == "api-team").Select(e => e.Action).ToList();
        Assert.Equal([AuditActions.TeamCreated, AuditActions.TeamMemberAdded, AuditActions.TeamMemberRemoved], actions);

        using var owning = await admin.DeleteAsync($"/api/v1/teams/{TeamAccessFixture.Team}", Ct);
        Assert.Equal(HttpStatusCode.Conflict, owning.StatusCode);
    }

    [Fact]
    public async Task Me_answers_the_token_owners_current_roles_and_teams()
    {
        var me = JsonDocument.Parse(await fixture.Clients[nameof(Viewer.Member)].GetStringAsync("/api/v1/me", Ct)).RootElement;

        Assert.Equal(Member.Email, me.GetProperty("email").GetString());
        Assert.Equal([Roles.DataScientist], me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal([TeamAccessFixture.Team], me.GetProperty("teams").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task Group_sync_adds_and_removes_memberships_of_bound_teams_only_audited_as_sso()
    {
        var teams = App.Get<TeamService>();
        var admin = fixture.Admin.Actor;
        await teams.CreateAsync(admin, new CreateTeam("sync-a", "grp-a"), Ct);
        await teams.CreateAsync(admin, new CreateTeam("sync-b", "grp-b"), Ct);
        await teams.CreateAsync(admin, new CreateTeam("sync-manual"), Ct);
        var user = await App.CreateUserAsync(Roles.DataScientist);
        await teams.AddMemberAsync(admin, "sync-manual", user.Email, Ct);
        var sso = new Actor("system:sso", "sso", new HashSet<string>(), IsSystem: true);

        var first = await teams.SyncGroupMembershipsAsync(user.Id, ["grp-a", "grp-b", "unrelated"], sso, Ct);
        var second = await teams.SyncGroupMembershipsAsync(user.Id, ["grp-b"], sso, Ct);

        Assert.Equal(["sync-a", "sync-b"], first.Added);
        Assert.Equal(["sync-a"], second.Removed);
        Assert.Empty(second.Added);
        Assert.Equal(["sync-b", "sync-manual"], await teams.TeamsOfAsync(user.Id, Ct));
        var events = (await App.AuditEventsAsync()).Where(e => e.ActorName == "sso").Select(e => (e.Action, e.EntityId)).ToList();
        Assert.Equal([(AuditActions.TeamMemberAdded, "sync-a"), (AuditActions.TeamMemberAdded, "sync-b"), (AuditActions.TeamMemberRemoved, "sync-a")], events);
    }

    [Fact]
    public async Task Restricted_models_events_go_only_to_webhooks_allowed_for_them()
    {
        var webhooks = App.Get<WebhookService>();
        var admin = fixture.Admin.Actor;
        var (plain, _) = await webhooks.CreateAsync(admin, new CreateWebhook("http://127.0.0.1:9/plain", [WebhookEvents.VersionCreated]), Ct);
        var (allowed, _) = await webhooks.CreateAsync(admin, new CreateWebhook("http://127.0.0.1:9/allowed", [WebhookEvents.VersionCreated]), Ct);
        await Assert.ThrowsAsync<ForbiddenException>(() => webhooks.AllowRestrictedModelsAsync(Member.Actor, allowed.Id, [TeamAccessFixture.Secret], Ct));
        await webhooks.AllowRestrictedModelsAsync(admin, allowed.Id, [TeamAccessFixture.Secret], Ct);

        await App.CreateVersionAsync(Member, TeamAccessFixture.Secret);
        await App.CreateVersionAsync(Member, TeamAccessFixture.Open);

        await using var db = await App.DbAsync();
        var deliveries = await db.WebhookDeliveries.AsNoTracking().Where(d => d.SubscriptionId == plain.Id || d.SubscriptionId == allowed.Id)
            .Select(d => new { d.SubscriptionId, d.Payload }).ToListAsync(Ct);
        Assert.Single(deliveries, d => d.SubscriptionId == plain.Id);
        Assert.DoesNotContain(deliveries, d => d.SubscriptionId == plain.Id && d.Payload.Contains(TeamAccessFixture.Secret, StringComparison.Ordinal));
        Assert.Equal(2, deliveries.Count(d => d.SubscriptionId == allowed.Id));
        Assert.Contains((await App.AuditEventsAsync()).Select(e => e.Action), a => a == AuditActions.WebhookModelsAllowed);
    }
}
