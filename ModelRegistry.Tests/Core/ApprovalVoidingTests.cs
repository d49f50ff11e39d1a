using System.Security.Cryptography;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Notifications;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;
using static ModelRegistry.Tests.Infrastructure.LifecycleAppExtensions;

namespace ModelRegistry.Tests.Core;

/// <summary>A registry that needs two approvals, so a change can land between the first and the second.</summary>
public sealed class TwoApprovalsApp : RegistryApp
{
    public TwoApprovalsApp() => Settings["Registry:Policy:RequiredApprovals"] = "2";
}

/// <summary>Reviewers approve what they saw: a change under review voids the approvals given so far, and says so.</summary>
public sealed class ApprovalVoidingTests(TwoApprovalsApp app) : IClassFixture<TwoApprovalsApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private LifecycleService Lifecycle => app.Lifecycle();
    private LifecycleQueries Queries => app.LifecycleQueries();

    private async Task<(TestUser Ds, TestUser First, TestUser Second, string Model, TransitionRequestInfo Request)> UnderReviewAsync(string prefix)
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var first = await app.CreateUserAsync(Roles.Reviewer);
        var second = await app.CreateUserAsync(Roles.Reviewer);
        var model = Unique(prefix);
        await app.RegisterModelAsync(ds, model);
        await app.CreateVersionAsync(ds, model);
        await app.UploadAsync(ds, model, 1, "weights.bin", [1, 2, 3]);
        var request = await app.RequestAsync(ds, model, 1, Stage.Staging);
        return (ds, first, second, model, request);
    }

    [Fact]
    public async Task A_change_after_the_first_approval_voids_it_audits_and_notifies_requester_and_reviewer()
    {
        var (ds, first, second, model, request) = await UnderReviewAsync("void-approval");
        await Lifecycle.ApproveAsync(first.Actor, request.Id, "Looks right.", request.Digest, Ct);
        var before = await app.LastAuditSequenceAsync();
        var colleague = await app.CreateUserAsync(Roles.DataScientist);

        await app.UploadAsync(colleague, model, 1, "weights.bin", [9, 9, 9]);

        var changed = await Queries.GetAsync(request.Id, Ct);
        Assert.Equal(TransitionStatus.Pending, changed.Status);
        Assert.Empty(changed.Approvals);
        var voided = Assert.Single(changed.VoidedApprovals!);
        Assert.Equal(first.Actor.UserId, voided.ReviewerId);
        Assert.Equal(request.Digest, voided.Digest);
        Assert.NotNull(changed.ChangedAt);
        var change = Assert.Single(changed.ChangesSinceRequest!);
        Assert.Equal(("file", "weights.bin"), (change.Part, change.Name));

        var audit = Assert.Single(await app.AuditEventsAsync(before), e => e.Action == AuditActions.TransitionVersionChanged);
        Assert.Contains(first.Actor.DisplayName, audit.Data);
        Assert.Contains(changed.Digest, audit.Data);
        foreach (var user in new[] { ds, first })
        {
            var note = Assert.Single(await app.Get<NotificationService>().ListAsync(user.Actor, ct: Ct),
                n => n.Kind == NotificationKind.TransitionVersionChanged);
            Assert.Contains("no longer count", note.Message);
            Assert.Equal(LifecycleService.LifecycleLink(model, 1), note.Link);
        }

        // The second approval alone is not enough now; the first reviewer approves again, of the new digest.
        var afterSecond = await Lifecycle.ApproveAsync(second.Actor, request.Id, null, changed.Digest, Ct);
        Assert.Equal(TransitionStatus.Pending, afterSecond.Status);
        var done = await Lifecycle.ApproveAsync(first.Actor, request.Id, "Checked the new weights.", changed.Digest, Ct);
        Assert.Equal(TransitionStatus.Approved, done.Status);
        Assert.All(done.Approvals, a => Assert.Equal(changed.Digest, a.Digest));
        Assert.True((await app.Get<VersionService>().GetAsync(model, 1, Ct)).Frozen);
    }

    [Fact]
    public async Task A_write_that_changes_nothing_voids_nothing()
    {
        var (_, first, _, model, request) = await UnderReviewAsync("void-nothing");
        await Lifecycle.ApproveAsync(first.Actor, request.Id, null, request.Digest, Ct);
        var colleague = await app.CreateUserAsync(Roles.DataScientist);

        await app.UploadAsync(colleague, model, 1, "weights.bin", [1, 2, 3]);

        var unchanged = await Queries.GetAsync(request.Id, Ct);
        Assert.Single(unchanged.Approvals);
        Assert.False(unchanged.ChangedSinceRequest);
    }

    [Fact]
    public async Task An_upload_racing_the_final_approval_has_exactly_one_outcome()
    {
        for (var round = 0; round < 6; round++)
        {
            var (ds, first, second, model, request) = await UnderReviewAsync($"race-{round}");
            await Lifecycle.ApproveAsync(first.Actor, request.Id, null, request.Digest, Ct);

            var upload = Task.Run(() => app.UploadAsync(ds, model, 1, "weights.bin", [4, 5, 6]), Ct);
            var approve = Task.Run(() => Lifecycle.ApproveAsync(second.Actor, request.Id, null, request.Digest, Ct), Ct);
            var outcomes = await Task.WhenAll(Outcome(upload), Outcome(approve));

            var stored = await app.Get<ArtifactService>().ListAsync(model, 1, Ct);
            var version = await app.Get<VersionService>().GetAsync(model, 1, Ct);
            if (outcomes[1] is null)
            {
                // The approval won: the upload was refused as frozen and what was approved is what is stored.
                Assert.IsType<VersionFrozenException>(outcomes[0]);
                Assert.True(version.Frozen);
                Assert.Equal(request.Digest, version.Digest);
                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData([1, 2, 3])), Assert.Single(stored).Sha256);
            }
            else
            {
                // The upload won: the approval of the old digest was refused and nothing moved.
                Assert.Null(outcomes[0]);
                Assert.IsType<DigestMismatchException>(outcomes[1]);
                Assert.False(version.Frozen);
                Assert.Equal(Stage.None, version.Stage);
                Assert.Equal(TransitionStatus.Pending, (await Queries.GetAsync(request.Id, Ct)).Status);
            }
        }

        static async Task<Exception?> Outcome(Task task)
        {
            try
            {
                await task;
                return null;
            }
            catch (RegistryException e)
            {
                return e;
            }
        }
    }
}
