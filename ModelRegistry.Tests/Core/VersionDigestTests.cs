using System.Security.Cryptography;
using System.Text;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;
using static ModelRegistry.Tests.Infrastructure.LifecycleAppExtensions;

namespace ModelRegistry.Tests.Core;

/// <summary>The version digest: its canonical form, and that it moves when what a reviewer judges moves, and only then.</summary>
public sealed class VersionDigestTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private VersionService Versions => app.Get<VersionService>();

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public async Task The_manifest_is_the_documented_canonical_json_and_the_digest_its_sha256()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var model = Unique("digest-form");
        await app.RegisterModelAsync(ds, model);
        await app.CreateVersionAsync(ds, model, new VersionInput(Description: "Tuned \"support\" bot — ü", BaseModel: "meta-llama/Llama-3.1-8B",
            ParameterCount: 8_030_261_248, License: "apache-2.0", Tags: ["zeta", "alpha"]));
        await app.UploadAsync(ds, model, 1, "weights.bin", [1, 2, 3]);
        await app.UploadAsync(ds, model, 1, "B/extra.bin", [4]);
        await app.Get<CardService>().SaveAsync(ds.Actor, model, 1, "# Card\n", null, Ct);

        var manifest = await Versions.ManifestAsync(model, 1, Ct);

        var expected =
            "{\"card\":\"" + Sha(Encoding.UTF8.GetBytes("# Card\n")) + "\"," +
            "\"files\":[{\"path\":\"B/extra.bin\",\"sha256\":\"" + Sha([4]) + "\",\"size\":1}," +
            "{\"path\":\"weights.bin\",\"sha256\":\"" + Sha([1, 2, 3]) + "\",\"size\":3}]," +
            "\"metadata\":{\"architecture\":null,\"baseModel\":\"meta-llama/Llama-3.1-8B\",\"contextLength\":null,\"datasets\":[]," +
            "\"description\":\"Tuned \\\"support\\\" bot — ü\",\"format\":\"" + manifest.Metadata["format"] + "\",\"license\":\"apache-2.0\"," +
            "\"parameterCount\":8030261248,\"parentVersion\":null,\"quantization\":null,\"source\":null,\"tags\":[\"alpha\",\"zeta\"]}," +
            "\"model\":\"" + model + "\",\"version\":1}";
        Assert.Equal(expected, manifest.ToJsonText());
        Assert.Equal("sha256:" + Sha(manifest.Bytes), manifest.Digest);
        var version = await Versions.GetAsync(model, 1, Ct);
        Assert.Equal(manifest.Digest, version.Digest);
        Assert.Equal(manifest.Digest[7..47], version.Commit);
    }

    [Fact]
    public async Task The_digest_moves_with_what_a_reviewer_judges_and_only_then()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var model = Unique("digest-moves");
        await app.RegisterModelAsync(ds, model);
        await app.CreateVersionAsync(ds, model, new VersionInput(Description: "First."));
        async Task<string> DigestAsync() => (await Versions.GetAsync(model, 1, Ct)).Digest;
        var first = await DigestAsync();
        Assert.StartsWith("sha256:", first);
        Assert.Equal(71, first.Length);

        // Not judged: evaluation results, requests, deployments leave it alone.
        await app.Get<EvaluationService>().RecordAsync(ds.Actor, model, 1, [new MetricInput("accuracy", 0.9)], EvaluationSource.Manual, Ct);
        Assert.Equal(first, await DigestAsync());

        // Judged: each of files, card and metadata moves it; undoing a field brings the same digest back.
        await app.UploadAsync(ds, model, 1, "weights.bin", [1]);
        var withFile = await DigestAsync();
        Assert.NotEqual(first, withFile);
        await app.Get<CardService>().SaveAsync(ds.Actor, model, 1, "# Card", null, Ct);
        var withCard = await DigestAsync();
        Assert.NotEqual(withFile, withCard);
        await Versions.UpdateAsync(ds.Actor, model, 1, new VersionInput(Description: "Second."), Ct);
        Assert.NotEqual(withCard, await DigestAsync());
        await Versions.UpdateAsync(ds.Actor, model, 1, new VersionInput(Description: "First."), Ct);
        Assert.Equal(withCard, await DigestAsync());

        // The same bytes uploaded again change nothing.
        await app.UploadAsync(ds, model, 1, "weights.bin", [1]);
        Assert.Equal(withCard, await DigestAsync());
    }

    [Fact]
    public async Task Every_change_event_in_the_audit_trail_carries_the_digest_it_made()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        var model = Unique("digest-audit");
        await app.RegisterModelAsync(ds, model);
        var before = await app.LastAuditSequenceAsync();
        await app.CreateVersionAsync(ds, model);
        await app.UploadAsync(ds, model, 1, "weights.bin", [7]);
        await app.Get<CardService>().SaveAsync(ds.Actor, model, 1, "# Card", null, Ct);
        await Versions.UpdateAsync(ds.Actor, model, 1, new VersionInput(Description: "Ready."), Ct);
        await app.PromoteAsync(ds, reviewer, model, 1, Stage.Staging);
        var digest = (await Versions.GetAsync(model, 1, Ct)).Digest;

        var events = await app.AuditEventsAsync(before);

        foreach (var action in new[] { AuditActions.VersionCreated, AuditActions.ArtifactUploaded, AuditActions.CardRevised, AuditActions.VersionUpdated,
                     AuditActions.TransitionRequested, AuditActions.TransitionApproved, AuditActions.VersionStageChanged })
        {
            Assert.Contains(events, e => e.Action == action && e.Data.Contains("\"digest\":\"sha256:", StringComparison.Ordinal));
        }

        Assert.Contains(events, e => e.Action == AuditActions.TransitionApproved && e.Data.Contains(digest, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bulk_seeded_versions_carry_the_digest_the_registry_computes()
    {
        await app.Get<ModelRegistry.Core.Demo.DemoSeeder>().SeedBulkAsync(2, 3, Ct);

        await using var db = await app.DbAsync();
        var seeded = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
            db.Versions.Where(v => v.Source!.StartsWith("seed-demo run")).Select(v => new { v.Model.Name, v.Number, v.Digest }), Ct);
        Assert.Equal(6, seeded.Count);
        foreach (var v in seeded)
        {
            Assert.Equal((await Versions.ManifestAsync(v.Name, v.Number, Ct)).Digest, v.Digest);
        }
    }
}
