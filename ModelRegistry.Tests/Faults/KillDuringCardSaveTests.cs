using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Audit;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Faults;

/// <summary>
/// <c>kill -9</c> of the server while model cards are saved (each save a new revision with its audit event, and
/// evaluation results imported from its model-index): ten times at random moments. After each restart every revision
/// answered 2xx before the kill is there with exactly the text sent, revision numbers have no gaps, each revision has
/// its audit event, and the audit chain is valid.
/// </summary>
public sealed class KillDuringCardSaveTests
{
    private const string Model = "crash-cards";
    private const int Iterations = 10;

    private static readonly int[] VersionNumbers = [1, 2];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Card_revisions_acknowledged_before_a_kill_survive_whole()
    {
        await using var rig = await CrashRig.CreateAsync("cards", Model);
        // Two versions, one writer each: (version, revision) → SHA-256 of the markdown sent.
        var acknowledged = new ConcurrentDictionary<(int Version, int Revision), string>();
        var kills = new List<string>();
        var body = BuildBody();

        for (var iteration = 0; iteration <= Iterations; iteration++)
        {
            await rig.StartAsync();
            var when = $"after kill {iteration} (seed {rig.Seed}; kills at {string.Join(", ", kills)})";
            if (iteration == 0)
            {
                using var ds = rig.Server.ClientFor(rig.DataScientistToken);
                (await ds.PostAsJsonAsync($"/api/v1/models/{Model}/versions", new { }, Ct)).EnsureSuccessStatusCode();
            }
            else
            {
                await rig.AssertStoreAndAuditAsync(when);
                await AssertRevisionsAsync(rig, acknowledged, when);
            }

            if (iteration == Iterations)
            {
                break;
            }

            // One save per version before the clock starts: the first requests of a fresh process are slow (JIT), and
            // a kill before any save would test nothing.
            await Task.WhenAll(VersionNumbers.Select(v => SaveUntilKilledAsync(rig, v, iteration, body, acknowledged, CancellationToken.None, justOne: true)));

            using var stop = new CancellationTokenSource();
            var writers = VersionNumbers.Select(v => SaveUntilKilledAsync(rig, v, iteration, body, acknowledged, stop.Token)).ToList();
            var delay = await rig.KillAtRandomMomentAsync(30, 900);
            kills.Add($"{delay} ms");
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        Assert.True(acknowledged.Count >= Iterations, $"only {acknowledged.Count} card saves were acknowledged in {Iterations} rounds");
        await using var db = rig.Db();
        var inDatabase = await db.CardRevisions.CountAsync(Ct);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{Iterations} kills at {string.Join(", ", kills)}: {acknowledged.Count} card saves acknowledged, {inDatabase} revisions in the database " +
            $"({inDatabase - acknowledged.Count} committed with the answer lost to the kill).");
    }

    /// <summary>About 100 KiB of markdown with the sections the policy names and a model-index result.</summary>
    private static string BuildBody()
    {
        var text = new StringBuilder();
        text.Append("---\nlicense: apache-2.0\nmodel-index:\n- name: crash-cards\n  results:\n  - task:\n      type: text-generation\n")
            .Append("    dataset:\n      name: MMLU\n      type: mmlu\n    metrics:\n    - type: accuracy\n      value: 0.61\n---\n\n");
        foreach (var section in new[] { "Intended use", "Limitations", "Training data", "Evaluation" })
        {
            text.Append("## ").Append(section).Append("\n\n");
            for (var i = 0; i < 400; i++)
            {
                text.Append("A line of the card that makes it long enough to take a while to store, line ").Append(i).Append(".\n");
            }
        }

        return text.ToString();
    }

    private static async Task SaveUntilKilledAsync(CrashRig rig, int version, int iteration, string body,
        ConcurrentDictionary<(int, int), string> acknowledged, CancellationToken stop, bool justOne = false)
    {
        using var client = rig.Server.ClientFor(rig.DataScientistToken);
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var markdown = $"# Card of round {iteration}, save {n}{(justOne ? " (first)" : "")}\n\n{body}";
            var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(markdown)));
            var content = new StringContent(markdown, Encoding.UTF8, "text/markdown");
            try
            {
                using var response = await client.PutAsync($"/api/v1/models/{Model}/versions/{version}/card?comment=round%20{iteration}",
                    content, CancellationToken.None);
                var answer = await response.Content.ReadAsStringAsync(CancellationToken.None);
                Assert.True(response.IsSuccessStatusCode, $"saving a card answered {(int)response.StatusCode}: {answer}");
                var saved = JsonDocument.Parse(answer).RootElement;
                acknowledged[(version, saved.GetProperty("revision").GetInt32())] = sha;
                if (justOne)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                return; // killed under this save: it may or may not be there, but not in part
            }
        }
    }

    private static async Task AssertRevisionsAsync(CrashRig rig, ConcurrentDictionary<(int Version, int Revision), string> acknowledged, string when)
    {
        await using var db = rig.Db();
        var revisions = await db.CardRevisions.AsNoTracking().Where(r => r.Version.Model.Name == Model)
            .Select(r => new { r.Version.Number, Revision = r.Number, r.Markdown, r.Sha256 }).ToListAsync(Ct);
        var events = await db.AuditEvents.AsNoTracking().Where(e => e.ModelName == Model && e.Action == AuditActions.CardRevised)
            .Select(e => new { e.EntityId, e.Data }).ToListAsync(Ct);

        foreach (var ((version, revision), sha) in acknowledged)
        {
            var row = revisions.SingleOrDefault(r => r.Number == version && r.Revision == revision);
            Assert.True(row is not null, $"{when}: the acknowledged revision {revision} of version {version}'s card is gone");
            Assert.True(row.Sha256 == sha && Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(row.Markdown))) == sha,
                $"{when}: revision {revision} of version {version}'s card does not hold the text that was saved");
        }

        foreach (var group in revisions.GroupBy(r => r.Number))
        {
            var numbers = group.Select(r => r.Revision).Order().ToList();
            Assert.True(numbers.SequenceEqual(Enumerable.Range(1, numbers.Count)),
                $"{when}: version {group.Key}'s card revisions are {string.Join(",", numbers)}");
            foreach (var revision in numbers)
            {
                Assert.True(events.Count(e => e.EntityId == $"{Model}/{group.Key}" && e.Data.Contains($"\"revision\":{revision},")) == 1,
                    $"{when}: revision {revision} of version {group.Key}'s card has no single audit event");
            }
        }

        Assert.Equal(revisions.Count, events.Count);
    }
}
