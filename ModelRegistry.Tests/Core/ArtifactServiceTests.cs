using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Artifacts.Headers;
using ModelRegistry.Core.Artifacts.Storage;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

public sealed class ArtifactServiceTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ArtifactService Artifacts => app.Get<ArtifactService>();

    private static byte[] RandomBytes(int n) => RandomNumberGenerator.GetBytes(n);

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>A model with version 1 (created with <paramref name="input"/>) owned by a new DataScientist.</summary>
    private async Task<TestUser> VersionAsync(string model, VersionInput? input = null)
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, model);
        await app.CreateVersionAsync(ds, model, input);
        return ds;
    }

    private async Task<int> ArtifactRowsAsync()
    {
        await using var db = await app.DbAsync();
        return await db.Artifacts.CountAsync(Ct);
    }

    [Fact]
    public async Task Upload_stores_the_bytes_under_their_hash_and_lists_the_file()
    {
        var ds = await VersionAsync("art-basic");
        var bytes = RandomBytes(100_000);

        var result = await app.UploadAsync(ds, "art-basic", 1, "weights/blob.dat", bytes);

        Assert.False(result.Replaced);
        Assert.Equal(Sha(bytes), result.Artifact.Sha256);
        Assert.Equal(100_000, result.Artifact.Size);
        Assert.Equal(ds.Email, result.Artifact.UploadedBy);
        var sha = Sha(bytes);
        Assert.Contains(Path.Combine("blobs", sha[..2], sha[2..4], sha), app.StoreFiles());
        var listed = Assert.Single(await Artifacts.ListAsync("art-basic", 1, Ct));
        Assert.Equal("weights/blob.dat", listed.Path);
        await using var content = await Artifacts.OpenAsync("art-basic", 1, "weights/blob.dat", ct: Ct);
        using var copy = new MemoryStream();
        await content.Content.CopyToAsync(copy, Ct);
        Assert.Equal(bytes, copy.ToArray());
    }

    [Fact]
    public async Task Identical_bytes_under_two_paths_are_stored_once()
    {
        var ds = await VersionAsync("art-dedupe");
        var bytes = RandomBytes(50_000);

        await app.UploadAsync(ds, "art-dedupe", 1, "a.bin.dat", bytes);
        await app.UploadAsync(ds, "art-dedupe", 1, "copy/a.bin.dat", bytes);

        Assert.Equal(2, (await Artifacts.ListAsync("art-dedupe", 1, Ct)).Count);
        Assert.Single(app.StoreFiles(), f => f.EndsWith(Sha(bytes), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reupload_of_a_path_replaces_the_file_is_audited_and_drops_the_old_bytes()
    {
        var ds = await VersionAsync("art-replace");
        var first = RandomBytes(10_000);
        var second = RandomBytes(20_000);
        var before = await app.LastAuditSequenceAsync();

        await app.UploadAsync(ds, "art-replace", 1, "model.dat", first);
        var replaced = await app.UploadAsync(ds, "art-replace", 1, "model.dat", second);

        Assert.True(replaced.Replaced);
        var file = Assert.Single(await Artifacts.ListAsync("art-replace", 1, Ct));
        Assert.Equal(Sha(second), file.Sha256);
        Assert.DoesNotContain(app.StoreFiles(), f => f.EndsWith(Sha(first), StringComparison.Ordinal));
        var events = (await app.AuditEventsAsync(before)).Where(e => e.Action == AuditActions.ArtifactUploaded).ToList();
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Equal("art-replace/1/model.dat", e.EntityId));
        var data = JsonDocument.Parse(events[1].Data).RootElement;
        Assert.Equal(Sha(first), data.GetProperty("replaced").GetProperty("sha256").GetString());
        Assert.Equal(Sha(second), data.GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task Checksum_mismatch_keeps_nothing()
    {
        var ds = await VersionAsync("art-mismatch");
        var files = app.StoreFiles();
        var rows = await ArtifactRowsAsync();
        var events = await app.LastAuditSequenceAsync();

        var e = await Assert.ThrowsAsync<ChecksumMismatchException>(() =>
            app.UploadAsync(ds, "art-mismatch", 1, "x.dat", RandomBytes(5000), expectedSha256: new string('a', 64)));

        Assert.Equal(new string('a', 64), e.Expected);
        Assert.Equal(files, app.StoreFiles());
        Assert.Equal(rows, await ArtifactRowsAsync());
        Assert.Equal(events, await app.LastAuditSequenceAsync());
    }

    [Fact]
    public async Task Matching_checksum_in_any_case_is_accepted()
    {
        var ds = await VersionAsync("art-match");
        var bytes = RandomBytes(5000);

        var result = await app.UploadAsync(ds, "art-match", 1, "x.dat", bytes, expectedSha256: Sha(bytes).ToUpperInvariant());

        Assert.Equal(Sha(bytes), result.Artifact.Sha256);
    }

    [Fact]
    public async Task Malformed_checksum_is_refused_before_the_body_is_read()
    {
        var ds = await VersionAsync("art-badsum");
        var body = new UntouchableStream();

        await Assert.ThrowsAsync<ValidationFailedException>(() =>
            Artifacts.UploadAsync(ds.Actor, "art-badsum", 1, "x.dat", body, new UploadOptions("not-a-sha"), Ct));

        Assert.False(body.WasRead);
    }

    [Theory]
    [InlineData("weights.bin.")]
    [InlineData("weights.bin ")]
    [InlineData("weights./model.bin")]
    public async Task A_name_ending_in_a_dot_or_a_space_is_refused_before_the_body_is_read(string path)
    {
        var ds = await VersionAsync($"art-trail-{(uint)path.GetHashCode()}");
        var body = new UntouchableStream();
        var files = app.StoreFiles();
        var rows = await ArtifactRowsAsync();

        var e = await Assert.ThrowsAsync<ValidationFailedException>(() =>
            Artifacts.UploadAsync(ds.Actor, $"art-trail-{(uint)path.GetHashCode()}", 1, path, body, ct: Ct));

        Assert.Contains("dot or a space", e.Message);
        Assert.False(body.WasRead);
        Assert.Equal(files, app.StoreFiles());
        Assert.Equal(rows, await ArtifactRowsAsync());
    }

    [Fact]
    public async Task A_pickle_under_an_innocent_name_is_stored_and_flagged_unsafe()
    {
        var ds = await VersionAsync("art-pickle-dodge");

        var result = await app.UploadAsync(ds, "art-pickle-dodge", 1, "notes.txt", PickleFiles.Protocol0());

        Assert.True(result.Artifact.UnsafeFormat);
        Assert.Equal(ArtifactKind.Pickle, result.Artifact.Kind);
        Assert.Equal([FileInspector.UnsafeReason], result.Artifact.Flags);
        Assert.True(Assert.Single(await Artifacts.ListAsync("art-pickle-dodge", 1, Ct)).UnsafeFormat);
    }

    [Fact]
    public async Task Body_cut_off_midway_leaves_no_row_and_no_file()
    {
        var ds = await VersionAsync("art-cutoff");
        var files = app.StoreFiles();
        var rows = await ArtifactRowsAsync();

        await Assert.ThrowsAsync<IOException>(() => Artifacts.UploadAsync(ds.Actor, "art-cutoff", 1, "big.dat",
            new CutOffStream(RandomBytes(10_000_000), failAfter: 6_000_000), new UploadOptions(DeclaredLength: 10_000_000), Ct));

        Assert.Equal(files, app.StoreFiles());
        Assert.Equal(rows, await ArtifactRowsAsync());
    }

    [Theory]
    [InlineData(Roles.Reviewer)]
    [InlineData(Roles.Auditor)]
    [InlineData("")]
    public async Task Only_data_scientists_and_admins_may_upload_and_others_are_refused_before_a_byte_is_read(string role)
    {
        await VersionAsync($"art-role-{role.ToLowerInvariant()}");
        var user = await app.CreateUserAsync(role == "" ? [] : [role]);
        var body = new UntouchableStream();

        await Assert.ThrowsAsync<ForbiddenException>(() =>
            Artifacts.UploadAsync(user.Actor, $"art-role-{role.ToLowerInvariant()}", 1, "x.dat", body, null, Ct));

        Assert.False(body.WasRead);
    }

    [Fact]
    public async Task Upload_to_an_unknown_version_is_404_before_a_byte_is_read()
    {
        var ds = await VersionAsync("art-unknown");
        var body = new UntouchableStream();

        await Assert.ThrowsAsync<NotFoundException>(() => Artifacts.UploadAsync(ds.Actor, "art-unknown", 7, "x.dat", body, null, Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => Artifacts.UploadAsync(ds.Actor, "no-such-model", 1, "x.dat", body, null, Ct));
        Assert.False(body.WasRead);
    }

    [Fact]
    public async Task Headers_fill_empty_metadata_and_say_so()
    {
        var ds = await VersionAsync("art-fill");
        var shard1 = ModelFiles.Safetensors([("embed", "BF16", [1000, 64]), ("l0", "BF16", [64, 64])]);
        var shard2 = ModelFiles.Safetensors([("l1", "BF16", [64, 64]), ("head", "BF16", [1000, 64])]);

        await app.UploadAsync(ds, "art-fill", 1, "config.json", ModelFiles.Config(contextLength: 8192));
        await app.UploadAsync(ds, "art-fill", 1, "model-00001-of-00002.safetensors", shard1);
        var last = await app.UploadAsync(ds, "art-fill", 1, "model-00002-of-00002.safetensors", shard2);

        var version = await app.Get<VersionService>().GetAsync("art-fill", 1, Ct);
        Assert.Equal("LlamaForCausalLM", version.Architecture);
        Assert.Equal(8192, version.ContextLength);
        Assert.Equal(2 * (1000 * 64 + 64 * 64), version.ParameterCount); // both shards
        Assert.Equal(WeightFormat.Safetensors, version.Format);
        Assert.Equal("bf16", version.Quantization);
        Assert.Contains(last.Filled, f => f.Field == MetadataFields.ParameterCount && f.Source == "2 safetensors files");
        var origins = await Artifacts.MetadataOriginsAsync("art-fill", 1, Ct);
        Assert.Equal("config.json", origins.For(MetadataFields.Architecture)?.Source);
        Assert.Equal("config.json", origins.For(MetadataFields.ContextLength)?.Source);
        Assert.Equal("2 safetensors files", origins.For(MetadataFields.ParameterCount)?.Source);
        Assert.Empty(origins.Conflicts);
    }

    [Fact]
    public async Task Values_a_person_entered_are_kept_and_a_disagreeing_file_is_recorded_and_shown()
    {
        var ds = await VersionAsync("art-conflict", new VersionInput(ContextLength: 4096, Architecture: "llama"));
        var before = await app.LastAuditSequenceAsync();

        var result = await app.UploadAsync(ds, "art-conflict", 1, "config.json", ModelFiles.Config(contextLength: 131072));

        var version = await app.Get<VersionService>().GetAsync("art-conflict", 1, Ct);
        Assert.Equal(4096, version.ContextLength);
        Assert.Equal("llama", version.Architecture);
        Assert.Equal(2, result.Conflicts.Count);
        var context = Assert.Single(result.Conflicts, c => c.Field == MetadataFields.ContextLength);
        Assert.Equal(("4096", "131072", "config.json"), (context.Entered, context.FromFile, context.Source));
        var origins = await Artifacts.MetadataOriginsAsync("art-conflict", 1, Ct);
        Assert.Equal(2, origins.Conflicts.Count);
        Assert.Null(origins.For(MetadataFields.ContextLength));
        Assert.Equal("config.json", origins.For(MetadataFields.Quantization)?.Source); // empty before: filled
        var uploaded = Assert.Single(await app.AuditEventsAsync(before));
        Assert.Contains("131072", JsonDocument.Parse(uploaded.Data).RootElement.GetProperty("conflicts").GetRawText());
    }

    [Fact]
    public async Task A_field_filled_from_a_file_becomes_a_persons_once_they_change_it()
    {
        var ds = await VersionAsync("art-handover");
        await app.UploadAsync(ds, "art-handover", 1, "config.json", ModelFiles.Config(contextLength: 8192));
        await app.Get<VersionService>().UpdateAsync(ds.Actor, "art-handover", 1, new VersionInput(ContextLength: 16384), Ct);

        await app.UploadAsync(ds, "art-handover", 1, "config.json", ModelFiles.Config(contextLength: 32768));

        var version = await app.Get<VersionService>().GetAsync("art-handover", 1, Ct);
        Assert.Equal(16384, version.ContextLength);
        var origins = await Artifacts.MetadataOriginsAsync("art-handover", 1, Ct);
        Assert.Null(origins.For(MetadataFields.ContextLength));
        Assert.Equal("32768", origins.ConflictFor(MetadataFields.ContextLength)?.FromFile);
    }

    [Fact]
    public async Task A_value_still_from_a_file_is_refreshed_by_a_newer_file()
    {
        var ds = await VersionAsync("art-refresh");
        await app.UploadAsync(ds, "art-refresh", 1, "config.json", ModelFiles.Config(contextLength: 8192));

        await app.UploadAsync(ds, "art-refresh", 1, "config.json", ModelFiles.Config(contextLength: 32768));

        Assert.Equal(32768, (await app.Get<VersionService>().GetAsync("art-refresh", 1, Ct)).ContextLength);
    }

    [Fact]
    public async Task Malformed_header_is_stored_as_uploaded_flagged_and_used_for_nothing()
    {
        var ds = await VersionAsync("art-malformed");
        var lying = GgufBuilder.Llama();
        lying.TensorCountOverride = ulong.MaxValue;
        var bytes = lying.Build();

        var result = await app.UploadAsync(ds, "art-malformed", 1, "model.gguf", bytes);

        Assert.Equal(Sha(bytes), result.Artifact.Sha256);
        Assert.NotNull(result.Artifact.HeaderProblem);
        Assert.Contains(result.Artifact.Flags, f => f.StartsWith("header unreadable: ", StringComparison.Ordinal));
        Assert.Null(result.Artifact.Header);
        Assert.Empty(result.Filled);
        var version = await app.Get<VersionService>().GetAsync("art-malformed", 1, Ct);
        Assert.Null(version.Architecture);
        Assert.Null(version.ParameterCount);
        Assert.Equal(WeightFormat.Unknown, version.Format);
    }

    [Fact]
    public async Task Pickle_files_are_stored_flagged_unsafe_and_never_loaded()
    {
        var ds = await VersionAsync("art-pickle");
        // A pickle that would run a shell command if anything unpickled it.
        byte[] payload = [0x80, 0x04, .. "cos\nsystem\n(S'touch /tmp/pwned-by-registry'\ntR."u8];

        var result = await app.UploadAsync(ds, "art-pickle", 1, "pytorch_model.bin", payload);

        Assert.True(result.Artifact.UnsafeFormat);
        Assert.Equal(ArtifactKind.Pickle, result.Artifact.Kind);
        Assert.Contains(result.Artifact.Flags, f => f.StartsWith("unsafe format", StringComparison.Ordinal));
        Assert.False(File.Exists("/tmp/pwned-by-registry"));
        Assert.Equal(WeightFormat.Pytorch, (await app.Get<VersionService>().GetAsync("art-pickle", 1, Ct)).Format);
    }

    [Fact]
    public async Task Start_up_sweep_removes_cut_off_uploads_and_completes_committed_ones()
    {
        var ds = await VersionAsync("art-sweep");
        var bytes = RandomBytes(3000);
        var sha = Sha(bytes);
        await app.UploadAsync(ds, "art-sweep", 1, "kept.dat", bytes);
        var tmp = Path.Combine(app.DataDirectory, "artifacts", "tmp");
        var blob = StoredBlobs.PathOf(app.DataDirectory, sha);
        // A crash after the commit, before the rename: the complete file still waits in tmp/.
        File.Move(blob, Path.Combine(tmp, $"{sha}.{Guid.NewGuid():N}.ready"));
        // A crash mid-stream, and a crash after streaming but before the commit.
        var part = Path.Combine(tmp, $"{Guid.NewGuid():N}.part");
        var ready = Path.Combine(tmp, $"{new string('b', 64)}.{Guid.NewGuid():N}.ready");
        await File.WriteAllBytesAsync(part, RandomBytes(1000), Ct);
        await File.WriteAllBytesAsync(ready, RandomBytes(1000), Ct);
        // Long enough ago that no instance can still be writing them.
        var crashed = DateTime.UtcNow - FileSystemArtifactStore.UnfinishedUploadGrace - TimeSpan.FromMinutes(1);
        File.SetLastWriteTimeUtc(part, crashed);
        File.SetLastWriteTimeUtc(ready, crashed);

        var (removed, recovered) = await Artifacts.RecoverStoreAsync(Ct);

        Assert.Equal((2, 1), (removed, recovered));
        Assert.Empty(Directory.EnumerateFiles(tmp));
        Assert.True(File.Exists(blob));
        Assert.True((await Artifacts.VerifyAsync(ct: Ct)).Ok);
    }

    [Fact]
    public async Task Verify_reports_blobs_whose_bytes_changed_or_vanished()
    {
        var ds = await VersionAsync("art-verify");
        var changed = RandomBytes(4000);
        var vanished = RandomBytes(4000);
        await app.UploadAsync(ds, "art-verify", 1, "changed.dat", changed);
        await app.UploadAsync(ds, "art-verify", 1, "gone/vanished.dat", vanished);
        Assert.True((await Artifacts.VerifyAsync(ct: Ct)).Ok);
        string BlobOf(byte[] b) => StoredBlobs.PathOf(app.DataDirectory, Sha(b));
        StoredBlobs.MakeWritable(BlobOf(changed));

        await using (var f = new FileStream(BlobOf(changed), FileMode.Open, FileAccess.Write))
        {
            f.Position = 1234;
            f.WriteByte((byte)(changed[1234] ^ 0xFF));
        }

        File.Delete(BlobOf(vanished));

        var report = await Artifacts.VerifyAsync(ct: Ct);

        Assert.False(report.Ok);
        var bad = Assert.Single(report.Problems, p => p.Sha256 == Sha(changed));
        Assert.StartsWith("hash mismatch", bad.Problem);
        Assert.Equal(["art-verify/1/changed.dat"], bad.Files);
        var missing = Assert.Single(report.Problems, p => p.Sha256 == Sha(vanished));
        Assert.Equal("missing", missing.Problem);

        // Leave the shared store healthy for the other tests.
        File.Delete(BlobOf(changed));
        await using var db = await app.DbAsync();
        await db.Artifacts.Where(a => a.Version.Model.Name == "art-verify").ExecuteDeleteAsync(Ct);
    }
}
