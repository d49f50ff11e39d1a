using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Faults;

/// <summary>
/// <c>kill -9</c> of the server while reviewers approve requests to Production (each approval moves a version and
/// archives the previous Production version in one transaction): ten times at random moments. After each restart no
/// transition is half applied — an approved request has its stage change and its audit events, a pending one none,
/// every version's stage is where its history says, at most one version is in Production — the audit chain is
/// valid, and every approval answered 2xx before the kill is there.
/// </summary>
public sealed class KillDuringApprovalTests
{
    private const string Model = "crash-approvals";
    private const int Iterations = 10;
    private const int RequestsPerRound = 7;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_approval_is_applied_whole_or_not_at_all_and_acknowledged_ones_survive()
    {
        await using var rig = await CrashRig.CreateAsync("approval", Model);
        var requested = new ConcurrentBag<long>();
        var approved = new ConcurrentBag<long>();
        var kills = new List<string>();

        for (var iteration = 0; iteration <= Iterations; iteration++)
        {
            await rig.StartAsync();
            var when = $"after kill {iteration} (seed {rig.Seed}; kills at {string.Join(", ", kills)})";
            if (iteration > 0)
            {
                await rig.AssertStoreAndAuditAsync(when);
                await AssertTransitionsWholeAsync(rig, requested, approved, when);
            }

            if (iteration == Iterations)
            {
                break;
            }

            var ids = await RequestProductionAsync(rig, RequestsPerRound);
            foreach (var id in ids)
            {
                requested.Add(id);
            }

            // One approval before the clock starts: the first request of a fresh process is slow (JIT), and a kill
            // before any approval would test nothing.
            await ApproveUntilKilledAsync(rig, ids.Take(1).ToList(), approved, CancellationToken.None);
            using var stop = new CancellationTokenSource();
            var reviewers = Enumerable.Range(0, 2)
                .Select(r => ApproveUntilKilledAsync(rig, ids.Skip(1).Where((_, i) => i % 2 == r).ToList(), approved, stop.Token)).ToList();
            var delay = await rig.KillAtRandomMomentAsync(0, 300);
            kills.Add($"{delay} ms");
            await stop.CancelAsync();
            await Task.WhenAll(reviewers);
        }

        Assert.True(approved.Count >= Iterations, $"only {approved.Count} approvals were acknowledged in {Iterations} rounds");
        await using var db = rig.Db();
        var inDatabase = await db.TransitionRequests.CountAsync(r => r.Status == TransitionStatus.Approved, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{Iterations} kills at {string.Join(", ", kills)}: {approved.Count} approvals acknowledged, {inDatabase} approved in the database " +
            $"({inDatabase - approved.Count} committed with the answer lost to the kill), {requested.Count - inDatabase} still pending.");
    }

    private static async Task<List<long>> RequestProductionAsync(CrashRig rig, int count)
    {
        using var ds = rig.Server.ClientFor(rig.DataScientistToken);
        var ids = new List<long>();
        for (var i = 0; i < count; i++)
        {
            var version = await (await ds.PostAsJsonAsync($"/api/v1/models/{Model}/versions", new { source = $"round {i}" }, Ct))
                .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>(Ct);
            var number = version.GetProperty("number").GetInt32();
            var request = await (await ds.PostAsJsonAsync($"/api/v1/models/{Model}/versions/{number}/transitions",
                    new { toStage = "Production", comment = "fault test" }, Ct))
                .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>(Ct);
            ids.Add(request.GetProperty("id").GetInt64());
        }

        return ids;
    }

    private static async Task ApproveUntilKilledAsync(CrashRig rig, List<long> ids, ConcurrentBag<long> approved, CancellationToken stop)
    {
        using var reviewer = rig.Server.ClientFor(rig.ReviewerToken);
        foreach (var id in ids)
        {
            if (stop.IsCancellationRequested)
            {
                return;
            }

            try
            {
                using var response = await reviewer.PostAsJsonAsync($"/api/v1/transitions/{id}/approve", new { comment = "ok" }, CancellationToken.None);
                Assert.True(response.IsSuccessStatusCode,
                    $"approving {id} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(CancellationToken.None)}");
                approved.Add(id);
            }
            catch (HttpRequestException)
            {
                return; // killed under this request: either outcome is allowed, half of one is not
            }
        }
    }

    private static async Task AssertTransitionsWholeAsync(CrashRig rig, IEnumerable<long> requested, IEnumerable<long> approved, string when)
    {
        await using var db = rig.Db();
        var requests = await db.TransitionRequests.AsNoTracking().Include(r => r.Approvals).ToListAsync(Ct);
        var changes = await db.StageChanges.AsNoTracking().ToListAsync(Ct);
        var versions = await db.Versions.AsNoTracking().Where(v => v.Model.Name == Model).ToListAsync(Ct);
        var audit = await db.AuditEvents.AsNoTracking().Where(e => e.ModelName == Model).Select(e => new { e.Action, e.EntityId, e.Data }).ToListAsync(Ct);
        var byId = requests.ToDictionary(r => r.Id);

        foreach (var id in requested)
        {
            Assert.True(byId.ContainsKey(id), $"{when}: the acknowledged request {id} is gone");
        }

        foreach (var id in approved)
        {
            Assert.True(byId[id].Status == TransitionStatus.Approved, $"{when}: the acknowledged approval of {id} is lost ({byId[id].Status})");
        }

        foreach (var request in requests)
        {
            var moves = changes.Where(c => c.RequestId == request.Id && c.VersionId == request.VersionId).ToList();
            var approvedEvents = audit.Count(e => e.Action == AuditActions.TransitionApproved && e.EntityId == request.Id.ToString(CultureInfo.InvariantCulture));
            if (request.Status == TransitionStatus.Approved)
            {
                Assert.True(moves.Count == 1 && moves[0].ToStage == request.ToStage,
                    $"{when}: request {request.Id} is approved but its version moved {moves.Count} times");
                Assert.True(request.Approvals.Count >= 1 && approvedEvents == request.Approvals.Count,
                    $"{when}: request {request.Id} is approved with {request.Approvals.Count} approvals and {approvedEvents} audit events");
                Assert.Contains(audit, e => e.Action == AuditActions.VersionStageChanged && e.Data.Contains($"\"requestId\":{request.Id}"));
            }
            else
            {
                Assert.True(moves.Count == 0, $"{when}: request {request.Id} is {request.Status} but moved its version");
                Assert.True(request.Approvals.Count == 0 && approvedEvents == 0,
                    $"{when}: request {request.Id} is {request.Status} with {request.Approvals.Count} approvals and {approvedEvents} approval events");
            }
        }

        foreach (var version in versions)
        {
            var last = changes.Where(c => c.VersionId == version.Id).OrderBy(c => c.Id).LastOrDefault();
            Assert.True((last?.ToStage ?? Stage.None) == version.Stage,
                $"{when}: version {version.Number} is in {version.Stage} but its history ends in {last?.ToStage}");
        }

        Assert.True(versions.Count(v => v.Stage == Stage.Production) <= 1, $"{when}: more than one version is in Production");
        var stageEvents = audit.Count(e => e.Action == AuditActions.VersionStageChanged);
        var modelChanges = changes.Count(c => versions.Any(v => v.Id == c.VersionId));
        Assert.True(stageEvents == modelChanges, $"{when}: {modelChanges} stage changes but {stageEvents} audit events for them");
    }
}
