using System.Security.Cryptography;
using System.Text;
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
