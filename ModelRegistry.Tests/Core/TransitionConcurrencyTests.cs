using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;
using static ModelRegistry.Tests.Infrastructure.LifecycleAppExtensions;

namespace ModelRegistry.Tests.Core;

/// <summary>Racing decisions on one request: exactly one outcome, whatever the database does underneath.</summary>
public sealed class TransitionConcurrencyTests(RegistryApp app) : TransitionConcurrencyTestsCases<RegistryApp>(app);

/// <summary>The same cases on PostgreSQL.</summary>
public sealed class TransitionConcurrencyTestsOnPostgres(PostgresRegistryApp app) : TransitionConcurrencyTestsCases<PostgresRegistryApp>(app);

public abstract class TransitionConcurrencyTestsCases<TApp>(TApp app) : IClassFixture<TApp> where TApp : RegistryApp
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Many_parallel_decisions_through_core_have_exactly_one_winner()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var model = Unique("race-core");
        await app.ModelWithVersionsAsync(ds, model, 1);
        var reviewers = new List<TestUser>();
        for (var i = 0; i < 12; i++)
        {
            reviewers.Add(await app.CreateUserAsync(i % 3 == 0 ? Roles.Admin : Roles.Reviewer));
        }

        var request = await app.RequestAsync(ds, model, 1, Stage.Production);
        var before = await app.LastAuditSequenceAsync();
        var lifecycle = app.Get<LifecycleService>();

        var outcomes = await Task.WhenAll(reviewers.Select(async (r, i) =>
        {
            try
            {
                var decided = i % 2 == 0
                    ? await lifecycle.ApproveAsync(r.Actor, request.Id, $"yes from {i}", Ct)
                    : await lifecycle.RejectAsync(r.Actor, request.Id, $"no from {i}", Ct);
                return decided.Status.ToString();
            }
            catch (ConflictException)
            {
                return "409";
            }
        }));

        var winner = Assert.Single(outcomes, o => o != "409");
        var final = await app.LifecycleQueries().GetAsync(request.Id, Ct);
        Assert.Equal(winner, final.Status.ToString());
        var decisions = (await app.AuditEventsAsync(before))
            .Where(e => e.Action is AuditActions.TransitionApproved or AuditActions.TransitionRejected).ToList();
        Assert.Single(decisions);
        Assert.Equal(final.Status == TransitionStatus.Approved ? Stage.Production : Stage.None, await app.StageOfAsync(model, 1));
        Assert.True(final.Approvals.Count <= 1);
    }

    [Fact]
    public async Task A_decision_saved_from_a_stale_read_is_refused_by_the_concurrency_token()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var first = await app.CreateUserAsync(Roles.Reviewer);
        var second = await app.CreateUserAsync(Roles.Reviewer);
        var model = Unique("race-token");
        await app.ModelWithVersionsAsync(ds, model, 1);
        var request = await app.RequestAsync(ds, model, 1, Stage.Staging);

        // Two reviewers read the same revision of the request (no shared transaction), both reject it.
        await using var a = await app.DbAsync();
        await using var b = await app.DbAsync();
        var seenByA = await a.TransitionRequests.SingleAsync(r => r.Id == request.Id, Ct);
        var seenByB = await b.TransitionRequests.SingleAsync(r => r.Id == request.Id, Ct);
        seenByA.Reject(first.Actor, "First.", DateTimeOffset.UtcNow);
        seenByB.Reject(second.Actor, "Second.", DateTimeOffset.UtcNow);

        await a.SaveChangesAsync(Ct);
        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => b.SaveChangesAsync(Ct));

        var stored = await app.Get<LifecycleQueries>().GetAsync(request.Id, Ct);
        Assert.Equal(("First.", first.Email), (stored.DecisionComment, stored.DecidedBy));
    }

    [Fact]
    public async Task The_database_refuses_a_second_production_version_and_a_second_pending_request()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        var model = Unique("race-index");
        await app.ModelWithVersionsAsync(ds, model, 2);
        await app.PromoteAsync(ds, reviewer, model, 1, Stage.Production);
        await app.RequestAsync(ds, model, 2, Stage.Staging);

        // Whatever a bug or a hand edit tries, unique indexes hold the two invariants.
        // Identifiers quoted, values copied from existing rows: the same statements on SQLite and PostgreSQL.
        var secondProduction = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => app.ExecuteSqlAsync(
            $"UPDATE \"Versions\" SET \"Stage\" = 'Production' WHERE \"Number\" = 2 AND \"ModelId\" = (SELECT \"Id\" FROM \"Models\" WHERE \"Name\" = '{model}')"));
        Assert.Contains("unique", secondProduction.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(Stage.None, await app.StageOfAsync(model, 2));

        var secondPending = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => app.ExecuteSqlAsync(
            "INSERT INTO \"TransitionRequests\" (\"VersionId\", \"FromStage\", \"ToStage\", \"Status\", \"RequestedByUserId\", \"RequestedBy\", \"RequestedAt\", \"ContentRevision\", \"Revision\") " +
            "SELECT v.\"Id\", 'None', 'Production', 'Pending', 'x', 'x', r.\"RequestedAt\", 0, 0 FROM \"Versions\" v JOIN \"TransitionRequests\" r ON r.\"VersionId\" = v.\"Id\" " +
            $"WHERE v.\"Number\" = 2 AND v.\"ModelId\" = (SELECT \"Id\" FROM \"Models\" WHERE \"Name\" = '{model}')"));
        Assert.Contains("unique", secondPending.Message, StringComparison.OrdinalIgnoreCase);
    }
}
