using System.Text.Json;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>Correcting and removing evaluation results of a version that is not frozen.</summary>
public sealed class EvaluationCorrectionTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private EvaluationService Evaluations => app.Get<EvaluationService>();

    private async Task<(TestUser Ds, EvaluationResultInfo Result)> ResultAsync(string model)
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, model);
        await app.CreateVersionAsync(ds, model);
        var recorded = await Evaluations.RecordAsync(ds.Actor, model, 1,
            [new MetricInput("accuracy", 0.17, "MMLU", "test"), new MetricInput("perplexity", 6.2)], EvaluationSource.Api, Ct);
        return (ds, recorded[0]);
    }

    [Fact]
    public async Task A_correction_replaces_the_result_and_is_audited_with_before_and_after()
    {
        var (ds, result) = await ResultAsync("evalfix-correct");
        var before = await app.LastAuditSequenceAsync();

        var corrected = await Evaluations.CorrectAsync(ds.Actor, "evalfix-correct", 1, result.Id,
            new MetricInput("accuracy", 0.71, "MMLU", "validation"), Ct);

        Assert.Equal((0.71, "validation"), (corrected.Value, corrected.Split));
        var listed = await Evaluations.ListAsync("evalfix-correct", 1, Ct);
        Assert.Equal(2, listed.Count);
        Assert.DoesNotContain(listed, r => r.Value == 0.17);
        var e = Assert.Single(await app.AuditEventsAsync(before));
        Assert.Equal((AuditActions.EvaluationCorrected, "evalfix-correct/1"), (e.Action, e.EntityId));
        var data = JsonDocument.Parse(e.Data).RootElement;
        Assert.Equal(0.17, data.GetProperty("before").GetProperty("value").GetDouble());
        Assert.Equal(0.71, data.GetProperty("after").GetProperty("value").GetDouble());
    }

    [Fact]
    public async Task A_removal_takes_the_result_away_and_is_audited_with_what_it_was()
    {
        var (ds, result) = await ResultAsync("evalfix-remove");
        var before = await app.LastAuditSequenceAsync();

        await Evaluations.RemoveAsync(ds.Actor, "evalfix-remove", 1, result.Id, Ct);

        Assert.Equal(["perplexity"], (await Evaluations.ListAsync("evalfix-remove", 1, Ct)).Select(r => r.Name));
        var e = Assert.Single(await app.AuditEventsAsync(before));
        Assert.Equal(AuditActions.EvaluationRemoved, e.Action);
        Assert.Equal("accuracy", JsonDocument.Parse(e.Data).RootElement.GetProperty("removed").GetProperty("name").GetString());
    }

    [Fact]
    public async Task On_a_frozen_version_results_are_neither_corrected_nor_removed_and_later_ones_stay_labelled()
    {
        var (ds, result) = await ResultAsync("evalfix-frozen");
        await app.UploadAsync(ds, "evalfix-frozen", 1, "weights.bin", [1, 2, 3]);
        await app.PromoteAsync(ds, await app.CreateUserAsync(Roles.Reviewer), "evalfix-frozen", 1, Stage.Staging);
        var later = (await Evaluations.RecordAsync(ds.Actor, "evalfix-frozen", 1, [new MetricInput("f1", 0.5)], EvaluationSource.Api, Ct))[0];
        var before = await app.LastAuditSequenceAsync();

        await Assert.ThrowsAsync<VersionFrozenException>(() =>
            Evaluations.CorrectAsync(ds.Actor, "evalfix-frozen", 1, result.Id, new MetricInput("accuracy", 0.99), Ct));
        await Assert.ThrowsAsync<VersionFrozenException>(() => Evaluations.RemoveAsync(ds.Actor, "evalfix-frozen", 1, later.Id, Ct));

        var listed = await Evaluations.ListAsync("evalfix-frozen", 1, Ct);
        Assert.Equal(0.17, listed.Single(r => r.Id == result.Id).Value);
        Assert.True(listed.Single(r => r.Id == later.Id).AfterApproval);
        Assert.Empty(await app.AuditEventsAsync(before));
    }

    [Fact]
    public async Task Another_versions_result_a_viewer_and_a_model_index_import_are_refused()
    {
        var (ds, result) = await ResultAsync("evalfix-refused");
        await app.CreateVersionAsync(ds, "evalfix-refused");
        var viewer = await app.CreateUserAsync();
        await app.Get<CardService>().SaveAsync(ds.Actor, "evalfix-refused", 2,
            "---\nmodel-index:\n- name: m\n  results:\n  - task: {type: text-generation}\n    dataset: {name: MMLU, type: mmlu}\n    metrics:\n    - {type: accuracy, value: 0.5}\n---\n# Card\n", null, Ct);
        var imported = Assert.Single(await Evaluations.ListAsync("evalfix-refused", 2, Ct));

        await Assert.ThrowsAsync<NotFoundException>(() => Evaluations.RemoveAsync(ds.Actor, "evalfix-refused", 2, result.Id, Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Evaluations.RemoveAsync(viewer.Actor, "evalfix-refused", 1, result.Id, Ct));
        await Assert.ThrowsAsync<ConflictException>(() => Evaluations.RemoveAsync(ds.Actor, "evalfix-refused", 2, imported.Id, Ct));
        await Assert.ThrowsAsync<ValidationFailedException>(() =>
            Evaluations.CorrectAsync(ds.Actor, "evalfix-refused", 1, result.Id, new MetricInput("accuracy", double.NaN), Ct));
        Assert.Equal(2, (await Evaluations.ListAsync("evalfix-refused", 1, Ct)).Count);
    }
}
