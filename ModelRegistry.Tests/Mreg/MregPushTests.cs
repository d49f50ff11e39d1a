using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Client;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Mreg;

/// <summary><c>mreg push</c> against the app on a real port: nested files, nothing sent twice, an interrupted push resumed.</summary>
public sealed class MregPushTests(MregFixture fixture) : IClassFixture<MregFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Push_stores_nested_files_and_a_second_push_of_the_same_directory_sends_no_byte()
    {
        var weights = RandomNumberGenerator.GetBytes(9 * 1024 * 1024 + 17); // past 8 MiB: through tus
        var config = Encoding.UTF8.GetBytes("{\"architectures\":[\"LlamaForCausalLM\"]}");
        var tokenizer = Encoding.UTF8.GetBytes("{\"version\":\"1.0\"}");
        var dir = ModelDirectory.Create(
            ("config.json", config),
            ("tokenizer/tokenizer.json", tokenizer),
            ("weights/shards/model-00001.bin", weights));
        using var mreg = fixture.Runner();
        var counting = new CountingHandler();
        mreg.Handler = () => counting;

        var first = await mreg.RunAsync(Ct, "push", dir.FullName, "--model", "push-nested", "--source", "run-1", "--json");

        Assert.True(first.ExitCode == ExitCodes.Ok, first.ToString());
        var json = first.Json;
        Assert.Equal(1, json.GetProperty("version").GetInt32());
        var stored = await fixture.App.Get<ArtifactService>().ListAsync("push-nested", 1, Ct);
        Assert.Equal(["config.json", "tokenizer/tokenizer.json", "weights/shards/model-00001.bin"], stored.Select(f => f.Path));
        Assert.Equal(ModelDirectory.Sha(weights), stored.Single(f => f.Path.EndsWith(".bin", StringComparison.Ordinal)).Sha256);
        Assert.StartsWith("sha256:", json.GetProperty("digest").GetString(), StringComparison.Ordinal);
        Assert.Equal(weights.Length, counting.SentBy.GetValueOrDefault("PATCH"));
        Assert.Equal(config.Length + tokenizer.Length, counting.SentBy.GetValueOrDefault("PUT")); // the small files, by PUT

        // The same directory again: a new version, every file committed from what the model stores, no body sent.
        var again = new CountingHandler();
        mreg.Handler = () => again;
        var second = await mreg.RunAsync(Ct, "push", dir.FullName, "--model", "push-nested", "--json");

        Assert.True(second.ExitCode == ExitCodes.Ok, second.ToString());
        Assert.Equal(2, second.Json.GetProperty("version").GetInt32());
        Assert.Equal(0, second.Json.GetProperty("bytesSent").GetInt64());
        Assert.Equal(0, again.Sent);
        Assert.All(second.Json.GetProperty("files").EnumerateArray(), f => Assert.Equal("reused", f.GetProperty("transfer").GetString()));
        Assert.DoesNotContain(again.Requests, r => r.Method is "PATCH" || (r.Method == "POST" && r.Path.EndsWith("/uploads", StringComparison.Ordinal)));
        var copy = await fixture.App.Get<ArtifactService>().ListAsync("push-nested", 2, Ct);
        Assert.Equal(stored.Select(f => (f.Path, f.Sha256, f.Size)), copy.Select(f => (f.Path, f.Sha256, f.Size)));
        // Same content, so the same manifest apart from the version number; the digest printed is the server's.
        var version2 = await fixture.App.Get<ModelRegistry.Core.Versions.VersionService>().GetAsync("push-nested", 2, Ct);
        Assert.Equal(version2.Digest, second.Json.GetProperty("digest").GetString());
        dir.Delete(recursive: true);
    }

    [Fact]
    public async Task A_push_interrupted_halfway_resumes_the_same_version_and_sends_only_the_rest()
    {
        var big = RandomNumberGenerator.GetBytes(24 * 1024 * 1024);
        var dir = ModelDirectory.Create(("model.safetensors.bin", big), ("README.md", "# resumable\n"u8.ToArray()));
        using var mreg = fixture.Runner();
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var cut = new CountingHandler();
        cut.OnSent = _ =>
        {
            if (cut.SentBy.GetValueOrDefault("PATCH") > 13 * 1024 * 1024)
            {
                interrupt.Cancel();
            }
        };
        mreg.Handler = () => cut;

        var first = await mreg.RunAsync(interrupt.Token, "push", dir.FullName, "--model", "push-resume", "--parallel", "1");

        Assert.True(first.ExitCode == ExitCodes.Interrupted, first.ToString());
        Assert.Single(Directory.GetFiles(Path.Combine(mreg.ConfigDirectory, "push-state")));
        var firstPatch = cut.SentBy.GetValueOrDefault("PATCH");
        Assert.InRange(firstPatch, 13 * 1024 * 1024, big.Length - 1);

        var rest = new CountingHandler();
        mreg.Handler = () => rest;
        var second = await mreg.RunAsync(Ct, "push", dir.FullName, "--model", "push-resume", "--json");

        Assert.True(second.ExitCode == ExitCodes.Ok, second.ToString());
        Assert.Equal(1, second.Json.GetProperty("version").GetInt32());
        Assert.True(second.Json.GetProperty("resumed").GetBoolean());
        var file = second.Json.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("path").GetString() == "model.safetensors.bin");
        Assert.Equal("resumed", file.GetProperty("transfer").GetString());
        // Hashed in one pass: the bytes before the kept offset read again locally, the rest while sent; the last PATCH
        // carried the whole file's SHA-256.
        Assert.Equal("while sending", file.GetProperty("hashed").GetString());
        Assert.Equal(ModelDirectory.Sha(big), file.GetProperty("sha256").GetString());
        Assert.Equal(ModelDirectory.Sha(big), rest.Checksums.Last(r => r.Method == "PATCH").Sha256);
        // Only the remainder crossed the wire the second time: the rerun asked for the offset the server kept (HEAD)
        // and sent from there; the server kept at least its checkpoints of what arrived (4 MiB chunks).
        var resent = rest.SentBy.GetValueOrDefault("PATCH");
        Assert.Contains(rest.Requests, r => r.Method == "HEAD" && r.Path.StartsWith("/api/v1/uploads/", StringComparison.Ordinal));
        Assert.InRange(resent, big.Length - firstPatch, big.Length - (4 * 1024 * 1024));
        Assert.DoesNotContain(rest.Requests, r => r.Method == "POST" && r.Path.EndsWith("/uploads", StringComparison.Ordinal));
        var stored = await fixture.App.Get<ArtifactService>().ListAsync("push-resume", 1, Ct);
        Assert.Equal(ModelDirectory.Sha(big), stored.Single(f => f.Path == "model.safetensors.bin").Sha256);
        Assert.Equal(2, stored.Count);
        Assert.Empty(Directory.GetFiles(Path.Combine(mreg.ConfigDirectory, "push-state")));
        dir.Delete(recursive: true);
    }

    [Fact]
    public async Task A_large_file_is_read_once_its_last_patch_carries_the_sha256_and_a_later_push_knows_the_hash()
    {
        var big = RandomNumberGenerator.GetBytes(20 * 1024 * 1024 + 17);
        var dir = ModelDirectory.Create(("weights.bin", big), ("config.json", "{}"u8.ToArray()));
        using var mreg = fixture.Runner();
        var counted = new CountingHandler();
        mreg.Handler = () => counted;

        var result = await mreg.RunAsync(Ct, "push", dir.FullName, "--model", "push-one-pass", "--json");

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        var file = result.Json.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("path").GetString() == "weights.bin");
        Assert.Equal("while sending", file.GetProperty("hashed").GetString());
        Assert.Equal("sent", file.GetProperty("transfer").GetString());
        Assert.Equal(ModelDirectory.Sha(big), file.GetProperty("sha256").GetString());
        // Every byte crossed once, through tus: no reuse question for the large file (no stored file has its size),
        // two PATCHes of which only the last names the whole file's hash.
        Assert.Equal(big.Length, counted.SentBy.GetValueOrDefault("PATCH"));
        var patches = counted.Checksums.Where(r => r.Method == "PATCH").ToList();
        Assert.Equal(2, patches.Count);
        Assert.Null(patches[0].Sha256);
        Assert.Equal(ModelDirectory.Sha(big), patches[1].Sha256);
        Assert.DoesNotContain(counted.Checksums, r => r.Method == "PUT" && r.Path.EndsWith("/weights.bin", StringComparison.Ordinal));
        // The server saw it: the upload row kept the hash the last PATCH declared, and the file is stored with it.
        await using (var db = await fixture.App.DbAsync())
        {
            Assert.Equal(ModelDirectory.Sha(big), (await db.Uploads.SingleAsync(u => u.Path == "weights.bin" && u.Sha256 == ModelDirectory.Sha(big), Ct)).ExpectedSha256);
        }

        var stored = await fixture.App.Get<ArtifactService>().ListAsync("push-one-pass", 1, Ct);
        Assert.Equal(ModelDirectory.Sha(big), stored.Single(f => f.Path == "weights.bin").Sha256);

        // hashes.json (mode 0600) remembers it: the next push of the unchanged file asks the server first and sends nothing.
        var cache = Path.Combine(mreg.ConfigDirectory, "hashes.json");
        Assert.Contains(ModelDirectory.Sha(big), await File.ReadAllTextAsync(cache, Ct), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cache));
        }

        var again = new CountingHandler();
        mreg.Handler = () => again;
        var second = await mreg.RunAsync(Ct, "push", dir.FullName, "--model", "push-one-pass", "--json");

        Assert.True(second.ExitCode == ExitCodes.Ok, second.ToString());
        var reused = second.Json.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("path").GetString() == "weights.bin");
        Assert.Equal("known", reused.GetProperty("hashed").GetString());
        Assert.Equal("reused", reused.GetProperty("transfer").GetString());
        Assert.Equal(0, again.SentBy.GetValueOrDefault("PATCH"));
        dir.Delete(recursive: true);
    }

    [Fact]
    public async Task A_file_changed_during_the_push_exits_4_its_upload_is_deleted_and_nothing_is_committed()
    {
        var big = RandomNumberGenerator.GetBytes(20 * 1024 * 1024);
        var dir = ModelDirectory.Create(("weights.bin", big));
        var path = Path.Combine(dir.FullName, "weights.bin");
        using var mreg = fixture.Runner();
        var counted = new CountingHandler();
        var touched = 0;
        counted.OnSent = _ =>
        {
            if (counted.SentBy.GetValueOrDefault("PATCH") > 8 * 1024 * 1024 && Interlocked.Exchange(ref touched, 1) == 0)
            {
                // A training job still writing its checkpoint: a byte already sent changes.
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
                stream.WriteByte((byte)(big[0] ^ 0xFF));
                File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
            }
        };
        mreg.Handler = () => counted;

        var result = await mreg.RunAsync(Ct, "push", dir.FullName, "--model", "push-changed");

        Assert.True(result.ExitCode == ExitCodes.VerificationFailed, result.ToString());
        Assert.Contains("'weights.bin' changed while it was being pushed", result.Error, StringComparison.Ordinal);
        Assert.Contains(counted.Requests, r => r.Method == "DELETE" && r.Path.StartsWith("/api/v1/uploads/", StringComparison.Ordinal) && r.Status == 204);
        // The final PATCH was never sent.
        Assert.DoesNotContain(counted.Checksums, r => r.Method == "PATCH" && r.Sha256 is not null);
        Assert.Empty(await fixture.App.Get<ArtifactService>().ListAsync("push-changed", 1, Ct));
        await using (var db = await fixture.App.DbAsync())
        {
            Assert.False(await db.Uploads.AnyAsync(u => u.Path == "weights.bin" && u.CompletedAt == null, Ct));
        }

        // Once the file is complete, a rerun stores it (the same version), hashed again from the start.
        mreg.Handler = () => new CountingHandler();
        var rerun = await mreg.RunAsync(Ct, "push", dir.FullName, "--model", "push-changed", "--json");
        Assert.True(rerun.ExitCode == ExitCodes.Ok, rerun.ToString());
        Assert.Equal(1, rerun.Json.GetProperty("version").GetInt32());
        var stored = await fixture.App.Get<ArtifactService>().ListAsync("push-changed", 1, Ct);
        Assert.Equal(ModelDirectory.Sha(path), stored.Single().Sha256);
        dir.Delete(recursive: true);
    }

    [Fact]
    public async Task A_resumed_push_whose_sent_bytes_changed_on_disk_is_refused_by_the_server_with_422_and_exits_4()
    {
        var big = RandomNumberGenerator.GetBytes(24 * 1024 * 1024);
        var dir = ModelDirectory.Create(("weights.bin", big));
        var path = Path.Combine(dir.FullName, "weights.bin");
        using var mreg = fixture.Runner();
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var cut = new CountingHandler();
        cut.OnSent = _ =>
        {
            if (cut.SentBy.GetValueOrDefault("PATCH") > 13 * 1024 * 1024)
            {
                interrupt.Cancel();
            }
        };
        mreg.Handler = () => cut;
        var first = await mreg.RunAsync(interrupt.Token, "push", dir.FullName, "--model", "push-changed-prefix");
        Assert.True(first.ExitCode == ExitCodes.Interrupted, first.ToString());

        // A byte the server already has changes, and the modification time is put back: only the hash can tell.
        var modified = File.GetLastWriteTimeUtc(path);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            stream.WriteByte((byte)(big[0] ^ 0xFF));
        }

        File.SetLastWriteTimeUtc(path, modified);
        var rest = new CountingHandler();
        mreg.Handler = () => rest;
        var second = await mreg.RunAsync(Ct, "push", dir.FullName, "--model", "push-changed-prefix");

        Assert.True(second.ExitCode == ExitCodes.VerificationFailed, second.ToString());
        Assert.Contains("changed while it was being pushed", second.Error, StringComparison.Ordinal);
        Assert.Contains(rest.Requests, r => r.Method == "PATCH" && r.Status == 422);
        Assert.Empty(await fixture.App.Get<ArtifactService>().ListAsync("push-changed-prefix", 1, Ct));
        dir.Delete(recursive: true);
    }

    [Fact]
    public async Task Reuse_by_hash_commits_only_bytes_the_same_model_stores()
    {
        var secret = RandomNumberGenerator.GetBytes(4096);
        var dir = ModelDirectory.Create(("secret.bin", secret));
        using var mreg = fixture.Runner();
        Assert.Equal(0, (await mreg.RunAsync(Ct, "push", dir.FullName, "--model", "reuse-owner")).ExitCode);
        Assert.Equal(0, (await mreg.RunAsync(Ct, "push", ModelDirectory.Create(("a.txt", "a"u8.ToArray())).FullName, "--model", "reuse-other")).ExitCode);
        using var http = new HttpClient { BaseAddress = fixture.Url };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", fixture.Token);

        async Task<(int Status, string Body)> ReuseAsync(string model, int number)
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, $"api/v1/models/{model}/versions/{number}/files/copied.bin") { Content = new ByteArrayContent([]) };
            request.Headers.Add("X-Registry-Reuse-Sha256", ModelDirectory.Sha(secret));
            using var response = await http.SendAsync(request, Ct);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
        }

        // Another model cannot obtain the bytes by naming their hash.
        var other = await ReuseAsync("reuse-other", 1);
        Assert.Equal(404, other.Status);
        Assert.Contains("blob_not_stored", other.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(await fixture.App.Get<ArtifactService>().ListAsync("reuse-other", 1, Ct), f => f.Path == "copied.bin");

        // The same model can, and the audit event says the bytes were reused.
        var same = await ReuseAsync("reuse-owner", 1);
        Assert.Equal(201, same.Status);
        var copied = (await fixture.App.Get<ArtifactService>().ListAsync("reuse-owner", 1, Ct)).Single(f => f.Path == "copied.bin");
        Assert.Equal((ModelDirectory.Sha(secret), (long)secret.Length), (copied.Sha256, copied.Size));
        var audit = (await fixture.App.AuditEventsAsync()).Last(e => e.EntityId == "reuse-owner/1/copied.bin");
        Assert.Contains("\"reused\":true", audit.Data, StringComparison.Ordinal);
        dir.Delete(recursive: true);
    }
}
