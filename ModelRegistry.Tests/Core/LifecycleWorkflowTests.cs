using System.Globalization;
using System.Text.Json;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Notifications;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;
using static ModelRegistry.Tests.Infrastructure.LifecycleAppExtensions;

namespace ModelRegistry.Tests.Core;

/// <summary>The stage workflow's rules as Core enforces them: request, discuss, approve, reject, cancel.</summary>
public sealed class LifecycleWorkflowTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private LifecycleService Lifecycle => app.Get<LifecycleService>();
    private LifecycleQueries Queries => app.Get<LifecycleQueries>();

    private async Task<(TestUser Ds, TestUser Reviewer, string Model)> SetupAsync(string prefix, int versions = 1)
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        var model = Unique(prefix);
        await app.ModelWithVersionsAsync(ds, model, versions);
        return (ds, reviewer, model);
    }

    [Fact]
    public async Task Requested_and_approved_move_changes_the_stage_with_history_and_audit()
    {
        var (ds, reviewer, model) = await SetupAsync("wf-basic");
        var before = await app.LastAuditSequenceAsync();

        var request = await app.RequestAsync(ds, model, 1, Stage.Staging, "Passed the offline eval.");
        Assert.Equal(TransitionStatus.Pending, request.Status);
        Assert.Equal(Stage.None, request.FromStage);
        Assert.Equal(Stage.Staging, request.ToStage);
        Assert.Equal(ds.Id, request.RequestedById);
        Assert.Equal("Passed the offline eval.", request.Justification);
        Assert.Equal(Stage.None, await app.StageOfAsync(model, 1));

        var approved = await Lifecycle.ApproveAsync(reviewer.Actor, request.Id, "Ship it to staging.", Ct);

        Assert.Equal(TransitionStatus.Approved, approved.Status);
        Assert.Equal(reviewer.Email, approved.DecidedBy);
        Assert.Equal("Ship it to staging.", approved.DecisionComment);
        Assert.NotNull(approved.DecidedAt);
        Assert.Equal(reviewer.Id, Assert.Single(approved.Approvals).ReviewerId);
        Assert.Equal(Stage.Staging, await app.StageOfAsync(model, 1));

        var lifecycle = await Queries.GetVersionLifecycleAsync(model, 1, Ct);
        Assert.Equal(Stage.Staging, lifecycle.Stage);
        Assert.Null(lifecycle.OpenRequest);
        var change = Assert.Single(lifecycle.History);
        Assert.Equal((Stage.None, Stage.Staging, reviewer.Email, request.Id), (change.FromStage, change.ToStage, change.By, change.RequestId));
        Assert.Equal(request.Id, Assert.Single(lifecycle.PastRequests).Id);

        var events = await app.AuditEventsAsync(before);
        Assert.Equal([AuditActions.TransitionRequested, AuditActions.TransitionApproved, AuditActions.VersionStageChanged,
            AuditActions.AttestationSigned], events.Select(e => e.Action));
        Assert.Equal(request.Id.ToString(CultureInfo.InvariantCulture), events[0].EntityId);
        Assert.Equal(AuditEntities.Transition, events[0].EntityType);
        Assert.Equal($"{model}/1", events[2].EntityId);
        using var data = JsonDocument.Parse(events[2].Data);
        Assert.Equal("None", data.RootElement.GetProperty("from").GetString());
        Assert.Equal("Staging", data.RootElement.GetProperty("to").GetString());
    }

    [Fact]
    public async Task Approving_into_production_archives_the_previous_production_version_in_the_same_step()
    {
        var (ds, reviewer, model) = await SetupAsync("wf-exclusive", versions: 2);
        await app.PromoteAsync(ds, reviewer, model, 1, Stage.Production);
        var before = await app.LastAuditSequenceAsync();

        var second = await app.PromoteAsync(ds, reviewer, model, 2, Stage.Production);

        Assert.Equal(Stage.Production, await app.StageOfAsync(model, 2));
        Assert.Equal(Stage.Archived, await app.StageOfAsync(model, 1));
        Assert.Equal(2, (await Queries.FindInStageAsync(model, Stage.Production, Ct)).Number);
        var archived = (await Queries.GetVersionLifecycleAsync(model, 1, Ct)).History[0];
        Assert.Equal((Stage.Production, Stage.Archived, second.Id), (archived.FromStage, archived.ToStage, archived.RequestId));
        Assert.Equal("Superseded by version 2", archived.Reason);

        var changes = (await app.AuditEventsAsync(before)).Where(e => e.Action == AuditActions.VersionStageChanged).ToList();
        Assert.Equal([$"{model}/1", $"{model}/2"], changes.Select(e => e.EntityId));
        Assert.Equal(second.ProductionVersion, 2);
    }

    [Fact]
    public async Task Only_one_version_per_model_is_ever_in_production()
    {
        var (ds, reviewer, model) = await SetupAsync("wf-one-prod", versions: 3);
        for (var v = 1; v <= 3; v++)
        {
            await app.PromoteAsync(ds, reviewer, model, v, Stage.Production);
        }

        var stages = (await app.Get<VersionService>().ListAsync(model, ct: Ct)).Items.OrderBy(v => v.Number).Select(v => v.Stage);
        Assert.Equal([Stage.Archived, Stage.Archived, Stage.Production], stages);
    }

    [Fact]
    public async Task An_archived_version_returns_only_by_a_new_request()
    {
        var (ds, reviewer, model) = await SetupAsync("wf-unarchive", versions: 2);
        await app.PromoteAsync(ds, reviewer, model, 1, Stage.Production);
        await app.PromoteAsync(ds, reviewer, model, 2, Stage.Production);

        var back = await app.PromoteAsync(ds, reviewer, model, 1, Stage.Production);

        Assert.Equal(Stage.Archived, back.FromStage);
        Assert.Equal(Stage.Production, await app.StageOfAsync(model, 1));
        Assert.Equal(Stage.Archived, await app.StageOfAsync(model, 2));
    }

    [Theory]
    [InlineData(Roles.DataScientist)]
    [InlineData(Roles.Admin)]
    public async Task Approving_or_rejecting_ones_own_request_is_forbidden_for_everyone(string role)
    {
        var user = await app.CreateUserAsync(role, Roles.Reviewer);
        var model = Unique("wf-own");
        await app.ModelWithVersionsAsync(user, model, 1);
        var request = await app.RequestAsync(user, model, 1, Stage.Staging);

        await Assert.ThrowsAsync<ForbiddenException>(() => Lifecycle.ApproveAsync(user.Actor, request.Id, "mine", Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Lifecycle.RejectAsync(user.Actor, request.Id, "mine", Ct));

        var after = await Queries.GetAsync(request.Id, Ct);
        Assert.Equal(TransitionStatus.Pending, after.Status);
        Assert.Empty(after.Approvals);
        Assert.Equal(Stage.None, await app.StageOfAsync(model, 1));
    }

    [Theory]
    [InlineData(Roles.Viewer)]
    [InlineData(Roles.DataScientist)]
    [InlineData(Roles.Auditor)]
    public async Task Roles_that_do_not_review_cannot_approve_or_reject(string role)
    {
        var (ds, _, model) = await SetupAsync("wf-roles");
        var request = await app.RequestAsync(ds, model, 1, Stage.Staging);
        var user = await app.CreateUserAsync(role == Roles.Viewer ? [] : [role]);
        var before = await app.LastAuditSequenceAsync();

        await Assert.ThrowsAsync<ForbiddenException>(() => Lifecycle.ApproveAsync(user.Actor, request.Id, null, Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Lifecycle.RejectAsync(user.Actor, request.Id, "no", Ct));

        Assert.Equal(TransitionStatus.Pending, (await Queries.GetAsync(request.Id, Ct)).Status);
        Assert.Empty(await app.AuditEventsAsync(before));
    }

    [Fact]
    public async Task A_reviewer_whose_role_was_revoked_is_stopped_at_once()
    {
        var (ds, reviewer, model) = await SetupAsync("wf-demoted");
        var request = await app.RequestAsync(ds, model, 1, Stage.Staging);
        await app.Get<UserAdminService>().RevokeRoleAsync(Actor.CommandLine, reviewer.Id, Roles.Reviewer, Ct);

        // The actor still carries the role it was built with; Core reads the database.
        await Assert.ThrowsAsync<ForbiddenException>(() => Lifecycle.ApproveAsync(reviewer.Actor, request.Id, null, Ct));
    }

    [Fact]
    public async Task Deciding_a_request_that_is_already_decided_or_cancelled_conflicts()
    {
        var (ds, reviewer, model) = await SetupAsync("wf-decided", versions: 3);
        var admin = await app.CreateUserAsync(Roles.Admin);

        var approved = await app.PromoteAsync(ds, reviewer, model, 1, Stage.Staging);
        await Assert.ThrowsAsync<ConflictException>(() => Lifecycle.ApproveAsync(admin.Actor, approved.Id, null, Ct));
        await Assert.ThrowsAsync<ConflictException>(() => Lifecycle.RejectAsync(admin.Actor, approved.Id, "too late", Ct));
        await Assert.ThrowsAsync<ConflictException>(() => Lifecycle.CancelAsync(ds.Actor, approved.Id, Ct));

        var rejected = await app.RequestAsync(ds, model, 2, Stage.Staging);
        await Lifecycle.RejectAsync(reviewer.Actor, rejected.Id, "Eval set leaked into training.", Ct);
        await Assert.ThrowsAsync<ConflictException>(() => Lifecycle.ApproveAsync(admin.Actor, rejected.Id, null, Ct));

        var cancelled = await app.RequestAsync(ds, model, 3, Stage.Staging);
        await Lifecycle.CancelAsync(ds.Actor, cancelled.Id, Ct);
        await Assert.ThrowsAsync<ConflictException>(() => Lifecycle.ApproveAsync(reviewer.Actor, cancelled.Id, null, Ct));
        await Assert.ThrowsAsync<ConflictException>(() => Lifecycle.RejectAsync(reviewer.Actor, cancelled.Id, "no", Ct));

        Assert.Equal(Stage.None, await app.StageOfAsync(model, 2));
        Assert.Equal(Stage.None, await app.StageOfAsync(model, 3));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   \n ")]
    public async Task Rejecting_without_a_comment_is_refused(string? comment)
    {
        var (ds, reviewer, model) = await SetupAsync("wf-reject-comment");
        var request = await app.RequestAsync(ds, model, 1, Stage.Staging);

        var e = await Assert.ThrowsAsync<ValidationFailedException>(() => Lifecycle.RejectAsync(reviewer.Actor, request.Id, comment, Ct));

        Assert.Contains("comment", e.Errors.Keys);
        Assert.Equal(TransitionStatus.Pending, (await Queries.GetAsync(request.Id, Ct)).Status);
    }

    [Fact]
    public async Task Rejection_keeps_the_stage_and_records_why()
    {
        var (ds, reviewer, model) = await SetupAsync("wf-reject");
        var request = await app.RequestAsync(ds, model, 1, Stage.Staging);
        var before = await app.LastAuditSequenceAsync();

        var rejected = await Lifecycle.RejectAsync(reviewer.Actor, request.Id, "  Toxicity score regressed.  ", Ct);

        Assert.Equal(TransitionStatus.Rejected, rejected.Status);
        Assert.Equal("Toxicity score regressed.", rejected.DecisionComment);
        Assert.Equal(Stage.None, await app.StageOfAsync(model, 1));
        Assert.Empty((await Queries.GetVersionLifecycleAsync(model, 1, Ct)).History);
        var e = Assert.Single(await app.AuditEventsAsync(before));
        Assert.Equal(AuditActions.TransitionRejected, e.Action);
    }

    [Fact]
    public async Task A_request_to_the_stage_the_version_is_in_conflicts()
    {
        var (ds, reviewer, model) = await SetupAsync("wf-same-stage");
        await app.PromoteAsync(ds, reviewer, model, 1, Stage.Staging);

        await Assert.ThrowsAsync<ConflictException>(() => app.RequestAsync(ds, model, 1, Stage.Staging));
    }

    [Theory]
    [InlineData(Stage.None)]
    [InlineData((Stage)42)]
    public async Task A_request_to_no_stage_or_an_unknown_stage_is_invalid(Stage target)
    {
        var (ds, _, model) = await SetupAsync("wf-bad-stage");

        var e = await Assert.ThrowsAsync<ValidationFailedException>(() => app.RequestAsync(ds, model, 1, target));

        Assert.Contains("toStage", e.Errors.Keys);
    }

    [Fact]
    public async Task Requests_for_unknown_models_or_versions_are_not_found()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);

        await Assert.ThrowsAsync<NotFoundException>(() => app.RequestAsync(ds, "no-such-model", 1, Stage.Staging));
        var (owner, _, model) = await SetupAsync("wf-404");
        await Assert.ThrowsAsync<NotFoundException>(() => app.RequestAsync(owner, model, 9, Stage.Staging));
        await Assert.ThrowsAsync<NotFoundException>(() => Queries.GetAsync(987_654, Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => Lifecycle.ApproveAsync(Actor.CommandLine, 987_654, null, Ct));
    }

    [Theory]
    [InlineData(Roles.Viewer)]
    [InlineData(Roles.Reviewer)]
    [InlineData(Roles.Auditor)]
    public async Task Only_data_scientists_and_admins_may_request(string role)
    {
        var (_, _, model) = await SetupAsync("wf-who-requests");
        var user = await app.CreateUserAsync(role == Roles.Viewer ? [] : [role]);

        await Assert.ThrowsAsync<ForbiddenException>(() => app.RequestAsync(user, model, 1, Stage.Staging));
    }

    [Fact]
    public async Task A_version_has_at_most_one_pending_request()
    {
        var (ds, _, model) = await SetupAsync("wf-one-pending");
        var other = await app.CreateUserAsync(Roles.DataScientist);
        var first = await app.RequestAsync(ds, model, 1, Stage.Staging);

        var e = await Assert.ThrowsAsync<ConflictException>(() => app.RequestAsync(other, model, 1, Stage.Production));
        Assert.Contains($"#{first.Id}", e.Message);

        await Lifecycle.CancelAsync(ds.Actor, first.Id, Ct);
        var second = await app.RequestAsync(other, model, 1, Stage.Production);
        Assert.Equal(TransitionStatus.Pending, second.Status);
    }

    [Fact]
    public async Task Cancelling_is_for_the_requester_or_an_admin()
    {
        var (ds, reviewer, model) = await SetupAsync("wf-cancel", versions: 2);
        var otherDs = await app.CreateUserAsync(Roles.DataScientist);
        var admin = await app.CreateUserAsync(Roles.Admin);
        var first = await app.RequestAsync(ds, model, 1, Stage.Staging);

        await Assert.ThrowsAsync<ForbiddenException>(() => Lifecycle.CancelAsync(otherDs.Actor, first.Id, Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Lifecycle.CancelAsync(reviewer.Actor, first.Id, Ct));
        Assert.Equal(TransitionStatus.Pending, (await Queries.GetAsync(first.Id, Ct)).Status);

        var before = await app.LastAuditSequenceAsync();
        var cancelled = await Lifecycle.CancelAsync(ds.Actor, first.Id, Ct);
        Assert.Equal((TransitionStatus.Cancelled, ds.Email), (cancelled.Status, cancelled.DecidedBy));
        Assert.Equal(AuditActions.TransitionCancelled, Assert.Single(await app.AuditEventsAsync(before)).Action);

        var second = await app.RequestAsync(ds, model, 2, Stage.Staging);
        var byAdmin = await Lifecycle.CancelAsync(admin.Actor, second.Id, Ct);
        Assert.Equal((TransitionStatus.Cancelled, admin.Email), (byAdmin.Status, byAdmin.DecidedBy));
    }

    [Fact]
    public async Task The_discussion_keeps_its_order_and_only_participants_may_comment()
    {
        var (ds, reviewer, model) = await SetupAsync("wf-comments");
        var request = await app.RequestAsync(ds, model, 1, Stage.Staging);
        var before = await app.LastAuditSequenceAsync();

        await Lifecycle.CommentAsync(reviewer.Actor, request.Id, "Which eval set did you use?", Ct);
        await Lifecycle.CommentAsync(ds.Actor, request.Id, "The 2026-11 hold-out.", Ct);

        var thread = (await Queries.GetAsync(request.Id, Ct)).Comments;
        Assert.Equal(["Which eval set did you use?", "The 2026-11 hold-out."], thread.Select(c => c.Text));
        Assert.Equal([reviewer.Email, ds.Email], thread.Select(c => c.Author));
        Assert.All(await app.AuditEventsAsync(before), e => Assert.Equal(AuditActions.TransitionCommented, e.Action));

        var viewer = await app.CreateUserAsync();
        var auditor = await app.CreateUserAsync(Roles.Auditor);
        await Assert.ThrowsAsync<ForbiddenException>(() => Lifecycle.CommentAsync(viewer.Actor, request.Id, "hi", Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Lifecycle.CommentAsync(auditor.Actor, request.Id, "hi", Ct));
        await Assert.ThrowsAsync<ValidationFailedException>(() => Lifecycle.CommentAsync(reviewer.Actor, request.Id, "  ", Ct));

        await Lifecycle.ApproveAsync(reviewer.Actor, request.Id, null, Ct);
        await Assert.ThrowsAsync<ConflictException>(() => Lifecycle.CommentAsync(reviewer.Actor, request.Id, "after the fact", Ct));
    }

    [Fact]
    public async Task A_change_under_review_voids_the_approvals_and_the_old_digest_is_refused()
    {
        var (ds, reviewer, model) = await SetupAsync("wf-changed");
        var request = await app.RequestAsync(ds, model, 1, Stage.Staging);
        var seen = request.Digest;

        await app.ChangeContentAsync(ds, model, 1);

        var pending = await Queries.GetAsync(request.Id, Ct);
        Assert.True(pending.ChangedSinceRequest);
        Assert.NotEqual(seen, pending.Digest);
        Assert.Contains(pending.ChangesSinceRequest!, c => c.Name == "description" && c.After == "Changed after the request.");
        var e = await Assert.ThrowsAsync<DigestMismatchException>(() => Lifecycle.ApproveAsync(reviewer.Actor, request.Id, null, seen, Ct));
        Assert.Equal("digest_mismatch", e.Code);
        Assert.Equal(TransitionStatus.Pending, (await Queries.GetAsync(request.Id, Ct)).Status);
        Assert.Equal(Stage.None, await app.StageOfAsync(model, 1));

        // Approving what is there now works, and records that digest.
        var approved = await Lifecycle.ApproveAsync(reviewer.Actor, request.Id, null, pending.Digest, Ct);
        Assert.Equal(TransitionStatus.Approved, approved.Status);
        Assert.Equal(pending.Digest, Assert.Single(approved.Approvals).Digest);
    }

    [Fact]
    public async Task A_request_whose_version_changed_stage_since_cannot_be_approved()
    {
        var (ds, reviewer, model) = await SetupAsync("wf-stale-stage", versions: 2);
        await app.PromoteAsync(ds, reviewer, model, 1, Stage.Production);
        var retire = await app.RequestAsync(ds, model, 1, Stage.Archived);

        // v2 taking Production archives v1 under the open request.
        await app.PromoteAsync(ds, reviewer, model, 2, Stage.Production);

        Assert.Contains("moved from Production to Archived", (await Queries.GetAsync(retire.Id, Ct)).StaleReason);
        await Assert.ThrowsAsync<ConflictException>(() => Lifecycle.ApproveAsync(reviewer.Actor, retire.Id, null, Ct));
        var rejected = await Lifecycle.RejectAsync(reviewer.Actor, retire.Id, "Already archived.", Ct);
        Assert.Equal(TransitionStatus.Rejected, rejected.Status);
    }

    [Fact]
    public async Task The_requester_is_notified_of_decisions_and_comments_by_others()
    {
        var (ds, reviewer, model) = await SetupAsync("wf-notify", versions: 2);
        var notifications = app.Get<NotificationService>();
        var first = await app.RequestAsync(ds, model, 1, Stage.Staging);
        await Lifecycle.CommentAsync(ds.Actor, first.Id, "Note to self.", Ct);
        Assert.Equal(0, await notifications.UnreadCountAsync(ds.Actor, Ct));

        await Lifecycle.CommentAsync(reviewer.Actor, first.Id, "Please add the eval report.", Ct);
        await Lifecycle.ApproveAsync(reviewer.Actor, first.Id, null, Ct);
        var second = await app.RequestAsync(ds, model, 2, Stage.Staging);
        await Lifecycle.RejectAsync(reviewer.Actor, second.Id, "Wrong base model.", Ct);

        var mine = await notifications.ListAsync(ds.Actor, ct: Ct);
        Assert.Equal([NotificationKind.TransitionRejected, NotificationKind.TransitionApproved, NotificationKind.TransitionCommented],
            mine.Select(n => n.Kind));
        Assert.Contains($"{model} v2", mine[0].Message);
        Assert.Contains("Wrong base model.", mine[0].Message);
        Assert.Equal(LifecycleService.LifecycleLink(model, 2), mine[0].Link);
        Assert.Equal(3, await notifications.UnreadCountAsync(ds.Actor, Ct));
        Assert.Empty(await notifications.ListAsync(reviewer.Actor, ct: Ct));

        // Nobody marks anyone else's notifications read.
        await notifications.MarkReadAsync(reviewer.Actor, mine[0].Id, Ct);
        Assert.Equal(3, await notifications.UnreadCountAsync(ds.Actor, Ct));
        await notifications.MarkReadAsync(ds.Actor, mine[0].Id, Ct);
        Assert.Equal(2, await notifications.UnreadCountAsync(ds.Actor, Ct));
        await notifications.MarkAllReadAsync(ds.Actor, Ct);
        Assert.Equal(0, await notifications.UnreadCountAsync(ds.Actor, Ct));
        Assert.All(await notifications.ListAsync(ds.Actor, ct: Ct), n => Assert.True(n.IsRead));
    }

    [Fact]
    public async Task Queues_show_what_awaits_a_reviewer_and_what_a_requester_has_open()
    {
        var (ds, reviewer, model) = await SetupAsync("wf-queues", versions: 3);
        var otherReviewer = await app.CreateUserAsync(Roles.Reviewer);
        var a = await app.RequestAsync(ds, model, 1, Stage.Staging);
        var b = await app.RequestAsync(ds, model, 2, Stage.Staging);
        var c = await app.RequestAsync(ds, model, 3, Stage.Staging);
        await Lifecycle.ApproveAsync(otherReviewer.Actor, a.Id, null, Ct);
        await Lifecycle.CancelAsync(ds.Actor, c.Id, Ct);

        var awaiting = await Queries.ListAsync(new TransitionQuery(AwaitingReviewBy: reviewer.Id, Model: model), Ct);
        Assert.Equal([b.Id], awaiting.Items.Select(r => r.Id));
        var mine = await Queries.ListAsync(new TransitionQuery(TransitionStatus.Pending, RequestedBy: ds.Id, Model: model), Ct);
        Assert.Equal([b.Id], mine.Items.Select(r => r.Id));
        var decided = await Queries.ListAsync(new TransitionQuery(DecidedOnly: true, Model: model), Ct);
        Assert.Equal([c.Id, a.Id], decided.Items.Select(r => r.Id));
        var page = await Queries.ListAsync(new TransitionQuery(Model: model, Page: 2, PageSize: 2), Ct);
        Assert.Equal(3, page.Total);
        Assert.Equal([a.Id], page.Items.Select(r => r.Id));
    }

    [Fact]
    public async Task Without_configured_gates_no_gate_applies()
    {
        var (ds, _, model) = await SetupAsync("wf-no-gates");

        Assert.Empty(await Queries.CheckGatesAsync(model, 1, Stage.Production, Ct));
        var request = await app.RequestAsync(ds, model, 1, Stage.Production);
        Assert.NotNull(request.Gates);
        Assert.Empty(request.Gates);
        Assert.True(request.GatesPassed);
    }

    [Fact]
    public async Task Finding_the_version_in_a_stage()
    {
        var (ds, reviewer, model) = await SetupAsync("wf-find", versions: 3);
        await Assert.ThrowsAsync<NotFoundException>(() => Queries.FindInStageAsync(model, Stage.Production, Ct));
        await app.PromoteAsync(ds, reviewer, model, 1, Stage.Staging);
        await app.PromoteAsync(ds, reviewer, model, 2, Stage.Staging);
        await app.PromoteAsync(ds, reviewer, model, 1, Stage.Production);

        Assert.Equal(1, (await Queries.FindInStageAsync(model, Stage.Production, Ct)).Number);
        Assert.Equal(2, (await Queries.FindInStageAsync(model, Stage.Staging, Ct)).Number);
        Assert.Equal(3, (await Queries.FindInStageAsync(model, Stage.None, Ct)).Number);
        await Assert.ThrowsAsync<NotFoundException>(() => Queries.FindInStageAsync(model, Stage.Archived, Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => Queries.FindInStageAsync("no-such-model", Stage.Production, Ct));
    }

    [Fact]
    public async Task Rules_for_controls_match_what_core_allows()
    {
        var (ds, reviewer, model) = await SetupAsync("wf-rules");
        var admin = await app.CreateUserAsync(Roles.Admin);
        var viewer = await app.CreateUserAsync();
        var request = await app.RequestAsync(ds, model, 1, Stage.Staging);

        Assert.True(TransitionRules.CanDecide(reviewer.Actor, request));
        Assert.True(TransitionRules.CanDecide(admin.Actor, request));
        Assert.False(TransitionRules.CanDecide(ds.Actor, request));
        Assert.False(TransitionRules.CanDecide(viewer.Actor, request));
        Assert.True(TransitionRules.CanCancel(ds.Actor, request));
        Assert.True(TransitionRules.CanCancel(admin.Actor, request));
        Assert.False(TransitionRules.CanCancel(reviewer.Actor, request));
        Assert.True(TransitionRules.CanComment(reviewer.Actor, request));
        Assert.False(TransitionRules.CanComment(viewer.Actor, request));

        var approved = await Lifecycle.ApproveAsync(reviewer.Actor, request.Id, null, Ct);
        Assert.False(TransitionRules.CanDecide(admin.Actor, approved));
        Assert.False(TransitionRules.CanCancel(ds.Actor, approved));
        Assert.False(TransitionRules.CanComment(reviewer.Actor, approved));
    }

    [Fact]
    public async Task A_versions_activity_includes_its_requests_and_deployments_and_no_other_versions()
    {
        var (ds, reviewer, model) = await SetupAsync("wf-activity", versions: 2);
        await app.PromoteAsync(ds, reviewer, model, 1, Stage.Staging);
        await app.Get<ModelRegistry.Core.Deployments.DeploymentService>().RecordAsync(ds.Actor, model, 1,
            new ModelRegistry.Core.Deployments.DeploymentInput("staging"), Ct);
        await app.RequestAsync(ds, model, 2, Stage.Staging);

        var v1 = await app.Get<ActivityService>().RecentAsync(50, model, $"{model}/1", Ct);
        var v2 = await app.Get<ActivityService>().RecentAsync(50, model, $"{model}/2", Ct);

        Assert.Equal([AuditActions.DeploymentRecorded, AuditActions.AttestationSigned, AuditActions.VersionStageChanged,
            AuditActions.TransitionApproved, AuditActions.TransitionRequested, AuditActions.VersionCreated], v1.Select(e => e.Action));
        Assert.Equal([AuditActions.TransitionRequested, AuditActions.VersionCreated], v2.Select(e => e.Action));
    }
}
