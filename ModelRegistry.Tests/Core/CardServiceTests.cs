using System.Text.Json;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>Card revisions, diffs, the copy to a new version, size and role rules, and model-index import.</summary>
public sealed class CardServiceTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private CardService Cards => app.Get<CardService>();
    private EvaluationService Evaluations => app.Get<EvaluationService>();

    private const string WithModelIndex = """
        ---
        license: mit
        model-index:
          - name: m
            results:
              - task: { type: text-generation }
                dataset: { name: MMLU, split: test }
                metrics:
                  - { type: accuracy, value: 0.61 }
                  - { type: perplexity, value: 7.9 }
        ---
        # Card
        """;

    private async Task<TestUser> VersionAsync(string model, int versions = 1)
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, model);
        for (var i = 0; i < versions; i++)
        {
            await app.CreateVersionAsync(ds, model);
        }

        return ds;
    }

    [Fact]
    public async Task Version_without_a_card_has_none()
    {
        await VersionAsync("card-none");

        Assert.Null(await Cards.GetAsync("card-none", 1, ct: Ct));
        Assert.Empty(await Cards.ListRevisionsAsync("card-none", 1, Ct));
    }

    [Fact]
    public async Task Every_save_is_a_new_revision_with_author_time_and_comment()
    {
        var ds = await VersionAsync("card-revs");

        await Cards.SaveAsync(ds.Actor, "card-revs", 1, "# One\n", "first draft", Ct);
        await Cards.SaveAsync(ds.Actor, "card-revs", 1, "# One\n", null, Ct);
        var third = await Cards.SaveAsync(ds.Actor, "card-revs", 1, "# Two\r\nWindows line breaks\r\n", "  retitled  ", Ct);

        Assert.Equal(3, third.Revision.Revision);
        var revisions = await Cards.ListRevisionsAsync("card-revs", 1, Ct);
        Assert.Equal([3, 2, 1], revisions.Select(r => r.Revision));
        Assert.Equal(["retitled", null, "first draft"], revisions.Select(r => r.Comment));
        Assert.All(revisions, r => Assert.Equal(ds.Actor.DisplayName, r.Author));
        Assert.True(revisions[0].CreatedAt >= revisions[2].CreatedAt);

        var current = await Cards.GetAsync("card-revs", 1, ct: Ct);
        Assert.Equal("# Two\nWindows line breaks\n", current!.Markdown);
        Assert.Equal("# One\n", (await Cards.GetAsync("card-revs", 1, 1, Ct))!.Markdown);
        await Assert.ThrowsAsync<NotFoundException>(() => Cards.GetAsync("card-revs", 1, 9, Ct));
    }

    [Fact]
    public async Task Save_is_one_card_revised_event_carrying_the_hash_not_the_text()
    {
        var ds = await VersionAsync("card-audit");
        var before = await app.LastAuditSequenceAsync();

        var saved = await Cards.SaveAsync(ds.Actor, "card-audit", 1, "# Secretive card text\n", "why", Ct);

        var e = Assert.Single(await app.AuditEventsAsync(before));
        Assert.Equal(AuditActions.CardRevised, e.Action);
        Assert.Equal("card-audit/1", e.EntityId);
        Assert.DoesNotContain("Secretive", e.Data);
        var data = JsonDocument.Parse(e.Data).RootElement;
        Assert.Equal(1, data.GetProperty("revision").GetInt32());
        Assert.Equal(saved.Revision.Sha256, data.GetProperty("sha256").GetString());
        Assert.Equal("why", data.GetProperty("comment").GetString());
    }

    [Fact]
    public async Task Diff_of_any_two_revisions_shows_added_and_removed_lines()
    {
        var ds = await VersionAsync("card-diff");
        var lines = Enumerable.Range(1, 20).Select(i => $"line {i}").ToList();
        await Cards.SaveAsync(ds.Actor, "card-diff", 1, string.Join('\n', lines), null, Ct);
        lines[9] = "line 10, reworded";
        await Cards.SaveAsync(ds.Actor, "card-diff", 1, string.Join('\n', lines), null, Ct);
        lines.Add("line 21");
        await Cards.SaveAsync(ds.Actor, "card-diff", 1, string.Join('\n', lines), null, Ct);

        var diff = await Cards.DiffAsync("card-diff", 1, 1, 3, Ct);

        Assert.Equal(2, diff.Added);
        Assert.Equal(1, diff.Removed);
        Assert.Contains(diff.Lines, l => l is { Kind: DiffLineKind.Removed, Text: "line 10", OldNumber: 10 });
        Assert.Contains(diff.Lines, l => l is { Kind: DiffLineKind.Added, Text: "line 10, reworded", NewNumber: 10 });
        Assert.Contains(diff.Lines, l => l is { Kind: DiffLineKind.Added, Text: "line 21", NewNumber: 21 });
        // Far from any change, unchanged lines collapse into a gap.
        Assert.DoesNotContain(diff.Lines, l => l.Text == "line 2");
        Assert.Contains(diff.Lines, l => l.Kind == DiffLineKind.Gap && l.Skipped == 6);
        Assert.True((await Cards.DiffAsync("card-diff", 1, 2, 2, Ct)).Identical);
        await Assert.ThrowsAsync<NotFoundException>(() => Cards.DiffAsync("card-diff", 1, 1, 7, Ct));
    }

    [Fact]
    public async Task New_version_card_starts_as_a_copy_of_the_previous_versions_card()
    {
        var ds = await VersionAsync("card-copy");
        await Cards.SaveAsync(ds.Actor, "card-copy", 1, "draft", null, Ct);
        await Cards.SaveAsync(ds.Actor, "card-copy", 1, WithModelIndex, null, Ct);
        var before = await app.LastAuditSequenceAsync();

        var v2 = await app.CreateVersionAsync(ds, "card-copy");

        var copy = await Cards.GetAsync("card-copy", v2.Number, ct: Ct);
        Assert.Equal(WithModelIndex, copy!.Markdown);
        Assert.Equal(1, copy.Revision.Revision);
        Assert.Contains("v1", copy.Revision.Comment);
        // The copied model-index holds v1's numbers, so it is not imported for v2.
        Assert.Empty(await Evaluations.ListAsync("card-copy", v2.Number, Ct));
        var e = Assert.Single(await app.AuditEventsAsync(before));
        Assert.Equal(AuditActions.VersionCreated, e.Action);
        Assert.Equal(1, JsonDocument.Parse(e.Data).RootElement.GetProperty("cardCopiedFrom").GetInt32());
    }

    [Fact]
    public async Task Copy_skips_versions_without_a_card_and_first_version_starts_empty()
    {
        var ds = await VersionAsync("card-copy-gap", versions: 2);
        await Cards.SaveAsync(ds.Actor, "card-copy-gap", 1, "v1 card", null, Ct);

        var v3 = await app.CreateVersionAsync(ds, "card-copy-gap");

        Assert.Null(await Cards.GetAsync("card-copy-gap", 2, ct: Ct));
        Assert.Equal("v1 card", (await Cards.GetAsync("card-copy-gap", v3.Number, ct: Ct))!.Markdown);
    }

    [Fact]
    public async Task Card_of_10_MiB_or_more_is_refused_and_nothing_is_saved()
    {
        var ds = await VersionAsync("card-size");

        await Assert.ThrowsAsync<PayloadTooLargeException>(() =>
            Cards.SaveAsync(ds.Actor, "card-size", 1, new string('a', CardService.MaxCardBytes), null, Ct));
        // Multi-byte characters count as bytes, not characters: 3.5 M × 3 bytes is over the limit.
        await Assert.ThrowsAsync<PayloadTooLargeException>(() =>
            Cards.SaveAsync(ds.Actor, "card-size", 1, new string('€', 3_500_000), null, Ct));

        Assert.Empty(await Cards.ListRevisionsAsync("card-size", 1, Ct));
    }

    [Fact]
    public async Task Card_just_under_10_MiB_saves()
    {
        var ds = await VersionAsync("card-size-ok");

        var saved = await Cards.SaveAsync(ds.Actor, "card-size-ok", 1, new string('a', CardService.MaxCardBytes - 1), null, Ct);

        Assert.Equal(CardService.MaxCardBytes - 1, saved.Revision.SizeBytes);
    }

    [Fact]
    public async Task Broken_front_matter_still_saves_and_says_what_is_wrong()
    {
        var ds = await VersionAsync("card-broken");

        var saved = await Cards.SaveAsync(ds.Actor, "card-broken", 1, "---\nlicense: [mit\n---\n# Card\n", null, Ct);

        Assert.Equal(1, saved.Revision.Revision);
        Assert.NotEmpty(saved.Metadata.Problems);
        Assert.NotNull(await Cards.GetAsync("card-broken", 1, ct: Ct));
    }

    [Fact]
    public async Task Control_characters_and_long_comments_are_refused()
    {
        var ds = await VersionAsync("card-input");

        await Assert.ThrowsAsync<ValidationFailedException>(() => Cards.SaveAsync(ds.Actor, "card-input", 1, "nul \0 here", null, Ct));
        await Assert.ThrowsAsync<ValidationFailedException>(() => Cards.SaveAsync(ds.Actor, "card-input", 1, "ok", new string('c', 501), Ct));
        Assert.Empty(await Cards.ListRevisionsAsync("card-input", 1, Ct));
    }

    [Theory]
    [InlineData(Roles.Reviewer)]
    [InlineData(Roles.Auditor)]
    [InlineData(null)]
    public async Task Only_data_scientists_and_admins_may_edit_a_card(string? role)
    {
        var model = $"card-role-{(role ?? "viewer").ToLowerInvariant()}";
        await VersionAsync(model);
        var user = await app.CreateUserAsync(role is null ? [] : [role]);
        var before = await app.LastAuditSequenceAsync();

        await Assert.ThrowsAsync<ForbiddenException>(() => Cards.SaveAsync(user.Actor, model, 1, "# mine now", null, Ct));

        Assert.Empty(await Cards.ListRevisionsAsync(model, 1, Ct));
        Assert.Empty(await app.AuditEventsAsync(before));
        var admin = await app.CreateUserAsync(Roles.Admin);
        Assert.Equal(1, (await Cards.SaveAsync(admin.Actor, model, 1, "# admin may", null, Ct)).Revision.Revision);
    }

    [Fact]
    public async Task Unknown_model_or_version_is_not_found()
    {
        var ds = await VersionAsync("card-404");

        await Assert.ThrowsAsync<NotFoundException>(() => Cards.SaveAsync(ds.Actor, "card-404", 2, "x", null, Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => Cards.GetAsync("no-such-model", 1, ct: Ct));
    }

    [Fact]
    public async Task Model_index_results_are_imported_once_and_updated_when_they_change()
    {
        var ds = await VersionAsync("card-import");
        await Evaluations.RecordAsync(ds.Actor, "card-import", 1, [new MetricInput("accuracy", 0.5, "MMLU", "test")], EvaluationSource.Manual, Ct);

        var first = await Cards.SaveAsync(ds.Actor, "card-import", 1, WithModelIndex, null, Ct);
        var second = await Cards.SaveAsync(ds.Actor, "card-import", 1, WithModelIndex, "no change", Ct);
        var third = await Cards.SaveAsync(ds.Actor, "card-import", 1, WithModelIndex.Replace("0.61", "0.64"), "new run", Ct);

        Assert.Equal((2, 0), (first.MetricsImported, first.MetricsUpdated));
        Assert.Equal((0, 0), (second.MetricsImported, second.MetricsUpdated));
        Assert.Equal((0, 1), (third.MetricsImported, third.MetricsUpdated));
        var results = await Evaluations.ListAsync("card-import", 1, Ct);
        var imported = results.Where(r => r.Source == EvaluationSource.ModelIndex).ToList();
        Assert.Equal(2, imported.Count);
        Assert.Equal(0.64, imported.Single(r => r.Name == "accuracy").Value);
        var perplexity = imported.Single(r => r.Name == "perplexity");
        Assert.Equal(("MMLU", "test", false), (perplexity.Dataset, perplexity.Split, perplexity.HigherIsBetter));
        // The hand-entered result is left as it was.
        Assert.Equal(0.5, results.Single(r => r.Source == EvaluationSource.Manual).Value);
    }
}
