using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>The real content gates (files, model card, evaluation results) and the staleness an upload causes.</summary>
public sealed class ContentGateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RegistryApp AppWithFileGate()
    {
        var app = new RegistryApp();
        app.Settings["Registry:Policy:Staging:RequireArtifact"] = "true";
        return app;
    }

    [Fact]
    public async Task Request_to_staging_without_files_is_refused_naming_the_gate_and_allowed_once_a_file_exists()
    {
        await using var app = AppWithFileGate();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "gated");
        await app.CreateVersionAsync(ds, "gated");

        var refused = await Assert.ThrowsAsync<GatesNotMetException>(() => app.RequestAsync(ds, "gated", 1, Stage.Staging));
        Assert.Contains(refused.UnmetGates, g => g.Gate == "Files");

        await app.UploadAsync(ds, "gated", 1, "model.safetensors", "{}"u8.ToArray());
        var request = await app.RequestAsync(ds, "gated", 1, Stage.Staging);
        Assert.Equal(TransitionStatus.Pending, request.Status);
    }

    [Fact]
    public async Task Request_to_production_lists_every_unmet_content_gate_and_passes_once_all_are_met()
    {
        await using var app = new RegistryApp();
        app.Settings["Registry:Policy:Production:RequireArtifact"] = "true";
        app.Settings["Registry:Policy:Production:RequireEvaluationResult"] = "true";
        app.Settings["Registry:Policy:Production:RequireModelCardSections:0"] = "Intended use";
        app.Settings["Registry:Policy:Production:RequireModelCardSections:1"] = "Limitations";
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "to-production");
        await app.CreateVersionAsync(ds, "to-production");

        var refused = await Assert.ThrowsAsync<GatesNotMetException>(() => app.RequestAsync(ds, "to-production", 1, Stage.Production));
        Assert.Equal(["Evaluation results", "Files", "Model card"], refused.UnmetGates.Select(g => g.Gate).Order(StringComparer.Ordinal));

        await app.UploadAsync(ds, "to-production", 1, "model.safetensors", "{}"u8.ToArray());
        await app.Get<ModelRegistry.Core.Cards.CardService>().SaveAsync(ds.Actor, "to-production", 1, "# Card\n\n## Intended use\n\nChat.\n", null, Ct);
        var stillRefused = await Assert.ThrowsAsync<GatesNotMetException>(() => app.RequestAsync(ds, "to-production", 1, Stage.Production));
        var card = Assert.Single(stillRefused.UnmetGates, g => g.Gate == "Model card");
        Assert.Contains("Limitations", card.Message);

        await app.Get<ModelRegistry.Core.Cards.CardService>().SaveAsync(ds.Actor, "to-production", 1,
            "# Card\n\n## Intended use\n\nChat.\n\n## Limitations\n\nEnglish only.\n", null, Ct);
        await app.Get<ModelRegistry.Core.Evaluation.EvaluationService>().RecordAsync(ds.Actor, "to-production", 1,
            [new ModelRegistry.Core.Evaluation.MetricInput("accuracy", 0.71)], ModelRegistry.Core.Evaluation.EvaluationSource.Manual, Ct);

        var request = await app.RequestAsync(ds, "to-production", 1, Stage.Production);
        Assert.Equal(TransitionStatus.Pending, request.Status);
    }

    [Fact]
    public async Task Upload_after_the_request_changes_the_digest_and_approving_the_old_one_is_refused()
    {
        await using var app = AppWithFileGate();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        await app.RegisterModelAsync(ds, "stale-by-upload");
        await app.CreateVersionAsync(ds, "stale-by-upload");
        await app.UploadAsync(ds, "stale-by-upload", 1, "weights.gguf", [1, 2, 3]);
        var request = await app.RequestAsync(ds, "stale-by-upload", 1, Stage.Staging);

        await app.UploadAsync(ds, "stale-by-upload", 1, "weights.gguf", [4, 5, 6]);

        var changed = await app.LifecycleQueries().GetAsync(request.Id, Ct);
        Assert.Contains(changed.ChangesSinceRequest!, c => c.Part == "file" && c.Name == "weights.gguf");
        await Assert.ThrowsAsync<ModelRegistry.Core.Common.DigestMismatchException>(() =>
            app.Lifecycle().ApproveAsync(reviewer.Actor, request.Id, "looks fine", request.Digest, Ct));
        Assert.Equal(Stage.None, await app.StageOfAsync("stale-by-upload", 1));
    }
}
