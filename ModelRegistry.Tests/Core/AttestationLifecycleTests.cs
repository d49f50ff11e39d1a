using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Signing;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;
using static ModelRegistry.Tests.Infrastructure.LifecycleAppExtensions;

namespace ModelRegistry.Tests.Core;

/// <summary>A registry whose Staging policy needs a file, so an attestation has a gate to record.</summary>
public sealed class AttestationRegistryApp : RegistryApp
{
    public AttestationRegistryApp() => Settings["Registry:Policy:Staging:RequireArtifact"] = "true";
}

/// <summary>Which approvals are signed, and what the signed statement says.</summary>
public sealed class AttestationLifecycleTests(AttestationRegistryApp app) : IClassFixture<AttestationRegistryApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private AttestationService Attestations => app.Get<AttestationService>();

    private async Task<(TestUser Ds, TestUser Reviewer, string Model)> SetupAsync(string prefix, int versions = 1)
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        var model = Unique(prefix);
        await app.ModelWithVersionsAsync(ds, model, versions);
        for (var v = 1; v <= versions; v++)
        {
            await app.UploadAsync(ds, model, v, "config.json", Encoding.UTF8.GetBytes($"{{\"v\":{v}}}"));
        }

        return (ds, reviewer, model);
    }

    private static JsonElement Statement(AttestationInfo attestation) =>
        JsonDocument.Parse(Convert.FromBase64String(attestation.Envelope.Payload)).RootElement;

    [Fact]
    public async Task The_final_approval_into_staging_signs_an_in_toto_statement_of_every_file_and_what_was_approved()
    {
        var (ds, reviewer, model) = await SetupAsync("att-staging");
        var files = new Dictionary<string, byte[]>
        {
            ["weights/model-00002-of-00002.safetensors"] = [9, 8, 7, 6],
            ["tokenizer.json"] = Encoding.UTF8.GetBytes("{\"version\":\"1.0\"}"),
            ["weights/model-00001-of-00002.safetensors"] = [1, 2, 3, 4, 5],
        };
        foreach (var (path, bytes) in files)
        {
            await app.UploadAsync(ds, model, 1, path, bytes);
        }

        files["config.json"] = Encoding.UTF8.GetBytes("{\"v\":1}");
        var request = await app.RequestAsync(ds, model, 1, Stage.Staging, "Passed the offline eval.");
        var before = await app.LastAuditSequenceAsync();

        await app.Lifecycle().ApproveAsync(reviewer.Actor, request.Id, "Numbers checked.", Ct);

        var version = await app.Get<VersionService>().GetAsync(model, 1, Ct);
        var attestation = Assert.Single(await Attestations.ListAsync(model, 1, Ct));
        Assert.Equal(Dsse.InTotoPayloadType, attestation.Envelope.PayloadType);
        Assert.True(Attestations.Verify(attestation.Envelope).Valid);
        Assert.Equal(app.Get<SigningKeys>().CurrentKeyId, attestation.KeyId);

        var statement = Statement(attestation);
        Assert.Equal("https://in-toto.io/Statement/v1", statement.GetProperty("_type").GetString());
        Assert.Equal(AttestationService.ApprovalPredicateType, statement.GetProperty("predicateType").GetString());

        // Every file, sorted by path, with the SHA-256 of its bytes.
        var subject = statement.GetProperty("subject").EnumerateArray()
            .Select(s => (Name: s.GetProperty("name").GetString()!, Sha: s.GetProperty("digest").GetProperty("sha256").GetString()!)).ToList();
        Assert.Equal(files.Keys.Order(StringComparer.Ordinal), subject.Select(s => s.Name));
        Assert.All(subject, s => Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(files[s.Name])), s.Sha));

        var predicate = statement.GetProperty("predicate");
        Assert.Equal(model, predicate.GetProperty("model").GetString());
        Assert.Equal(1, predicate.GetProperty("version").GetInt32());
        Assert.Equal(version.Digest, predicate.GetProperty("digest").GetString());
        Assert.StartsWith("sha256:", version.Digest);
        Assert.Equal("None", predicate.GetProperty("stage").GetProperty("from").GetString());
        Assert.Equal("Staging", predicate.GetProperty("stage").GetProperty("to").GetString());
        Assert.Equal(request.Id, predicate.GetProperty("requestId").GetInt64());
        Assert.Equal(ds.Actor.DisplayName, predicate.GetProperty("requester").GetProperty("name").GetString());
        Assert.Equal("Passed the offline eval.", predicate.GetProperty("justification").GetString());
        var approver = Assert.Single(predicate.GetProperty("approvers").EnumerateArray().ToList());
        Assert.Equal(reviewer.Actor.DisplayName, approver.GetProperty("name").GetString());
        Assert.Equal("Numbers checked.", approver.GetProperty("comment").GetString());
        Assert.Equal(version.Digest, approver.GetProperty("digest").GetString());
        var gate = Assert.Single(predicate.GetProperty("gates").EnumerateArray().ToList());
        Assert.Equal("Files", gate.GetProperty("gate").GetString());
        Assert.True(gate.GetProperty("message").GetString()!.Length > 0);
        // The moment of the stage change (the database keeps it to a millisecond).
        Assert.Equal(DateTimeOffset.Parse(predicate.GetProperty("approvedAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            version.FrozenAt!.Value, TimeSpan.FromMilliseconds(1));

        // What the dashboard shows, read back from the signed payload.
        Assert.Equal((Stage.None, Stage.Staging), (attestation.FromStage, attestation.ToStage));
        Assert.Equal([reviewer.Actor.DisplayName], attestation.Approvers.Select(a => a.Reviewer));
        Assert.Equal(request.Id, attestation.RequestId);

        // Audited in the approval's transaction, naming the payload's hash and the key.
        var signed = Assert.Single(await app.AuditEventsAsync(before), e => e.Action == AuditActions.AttestationSigned);
        Assert.Equal($"{model}/1", signed.EntityId);
        using var data = JsonDocument.Parse(signed.Data);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Convert.FromBase64String(attestation.Envelope.Payload))),
            data.RootElement.GetProperty("payloadSha256").GetString());
        Assert.Equal(attestation.KeyId, data.RootElement.GetProperty("keyid").GetString());
        Assert.Equal(attestation.Id, data.RootElement.GetProperty("attestationId").GetInt64());
    }

    [Fact]
    public async Task Staging_then_production_signs_two_oldest_first_and_archiving_signs_none()
    {
        var (ds, reviewer, model) = await SetupAsync("att-prod", versions: 2);

        await app.PromoteAsync(ds, reviewer, model, 1, Stage.Staging);
        await app.PromoteAsync(ds, reviewer, model, 1, Stage.Production);
        // Version 2 into Production archives version 1 (no request of its own), then version 2 is archived by request.
        await app.PromoteAsync(ds, reviewer, model, 2, Stage.Production);
        await app.PromoteAsync(ds, reviewer, model, 2, Stage.Archived);

        Assert.Equal(Stage.Archived, await app.StageOfAsync(model, 1));
        Assert.Equal(Stage.Archived, await app.StageOfAsync(model, 2));
        var first = await Attestations.ListAsync(model, 1, Ct);
        Assert.Equal([(Stage.None, Stage.Staging), (Stage.Staging, Stage.Production)], first.Select(a => ((Stage)a.FromStage!, (Stage)a.ToStage!)));
        Assert.True(first[0].Id < first[1].Id);
        var second = Assert.Single(await Attestations.ListAsync(model, 2, Ct));
        Assert.Equal(Stage.Production, second.ToStage);
        Assert.All(first.Concat([second]), a => Assert.True(Attestations.Verify(a.Envelope).Valid));
        var events = await app.AuditEventsAsync();
        Assert.Equal(3, events.Count(e => e.Action == AuditActions.AttestationSigned && e.ModelName == model));
    }

    [Fact]
    public async Task A_rejected_or_cancelled_request_signs_nothing()
    {
        var (ds, reviewer, model) = await SetupAsync("att-reject");
        var rejected = await app.RequestAsync(ds, model, 1, Stage.Staging);
        await app.Lifecycle().RejectAsync(reviewer.Actor, rejected.Id, "Not yet.", Ct);
        var cancelled = await app.RequestAsync(ds, model, 1, Stage.Production);
        await app.Lifecycle().CancelAsync(ds.Actor, cancelled.Id, Ct);

        Assert.Empty(await Attestations.ListAsync(model, 1, Ct));
        Assert.DoesNotContain(await app.AuditEventsAsync(), e => e.Action == AuditActions.AttestationSigned && e.ModelName == model);
    }

    [Fact]
    public async Task With_two_required_approvals_only_the_second_signs_and_the_statement_lists_both()
    {
        await using var twoEyes = new RegistryApp { Settings = { ["Registry:Policy:RequiredApprovals"] = "2" } };
        var ds = await twoEyes.CreateUserAsync(Roles.DataScientist);
        var first = await twoEyes.CreateUserAsync(Roles.Reviewer);
        var second = await twoEyes.CreateUserAsync(Roles.Reviewer);
        await twoEyes.ModelWithVersionsAsync(ds, "two-eyes", 1);
        var request = await twoEyes.RequestAsync(ds, "two-eyes", 1, Stage.Production);
        var attestations = twoEyes.Get<AttestationService>();

        await twoEyes.Lifecycle().ApproveAsync(first.Actor, request.Id, "First look.", Ct);

        Assert.Empty(await attestations.ListAsync("two-eyes", 1, Ct));
        Assert.Equal(Stage.None, await twoEyes.StageOfAsync("two-eyes", 1));

        await twoEyes.Lifecycle().ApproveAsync(second.Actor, request.Id, "Second look.", Ct);

        var attestation = Assert.Single(await attestations.ListAsync("two-eyes", 1, Ct));
        Assert.Equal([first.Actor.DisplayName, second.Actor.DisplayName], attestation.Approvers.Select(a => a.Reviewer));
        var approvers = Statement(attestation).GetProperty("predicate").GetProperty("approvers").EnumerateArray()
            .Select(a => a.GetProperty("comment").GetString()).ToList();
        Assert.Equal(["First look.", "Second look."], approvers);
        // A version without files: an empty subject, still signed.
        Assert.Empty(Statement(attestation).GetProperty("subject").EnumerateArray());
        Assert.True(attestations.Verify(attestation.Envelope).Valid);
    }

    [Fact]
    public async Task Unknown_model_or_version_is_not_found()
    {
        var (_, _, model) = await SetupAsync("att-404");
        await Assert.ThrowsAsync<ModelRegistry.Core.Common.NotFoundException>(() => Attestations.ListAsync(model, 9, Ct));
        await Assert.ThrowsAsync<ModelRegistry.Core.Common.NotFoundException>(() => Attestations.ListAsync("no-such-model", 1, Ct));
        Assert.Empty(await Attestations.ListAsync(model, 1, Ct));
    }
}
