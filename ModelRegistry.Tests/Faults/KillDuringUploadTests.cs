using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using ModelRegistry.Tests.Cli;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Faults;

/// <summary>
/// <c>kill -9</c> of the server while large files stream in: ten times at random moments on one data directory.
/// After each restart no partial file is left, every artifact row has its blob and the blob hashes to its name,
/// the audit chain is valid, and every upload answered 2xx before the kill is listed with its checksum.
/// </summary>
public sealed partial class KillDuringUploadTests
{
    [System.Text.RegularExpressions.GeneratedRegex(@"removed (\d+) unfinished upload file\(s\), completed (\d+)")]
    private static partial System.Text.RegularExpressions.Regex SweepLine();

    private const string Model = "crash-upload";
    private const int Iterations = 10;
    private const int FileBytes = 12 * 1024 * 1024; // three of the store's 4 MiB chunks

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Uploads_acknowledged_before_a_kill_survive_and_nothing_partial_does()
    {
        await using var rig = await CrashRig.CreateAsync("upload", Model);
        var pool = RandomNumberGenerator.GetBytes(FileBytes + 64 * 1024);
        var acknowledged = new ConcurrentDictionary<string, string>(); // path → sha256
        var kills = new List<string>();
        int swept = 0, completed = 0;

        for (var iteration = 0; iteration <= Iterations; iteration++)
        {
            await rig.StartAsync();
            var when = $"after kill {iteration} (seed {rig.Seed}; kills at {string.Join(", ", kills)})";
            // What start-up recovery found: uploads cut off by the kill, and committed ones not yet in place.
            if (SweepLine().Match(rig.Server.Output) is { Success: true } sweep)
            {
                swept += int.Parse(sweep.Groups[1].Value, CultureInfo.InvariantCulture);
                completed += int.Parse(sweep.Groups[2].Value, CultureInfo.InvariantCulture);
            }

            if (iteration > 0)
            {
                await rig.AssertStoreAndAuditAsync(when);
                await AssertAcknowledgedPresentAsync(rig, acknowledged, when);
            }

            if (iteration == Iterations)
            {
                break;
            }

            using var stop = new CancellationTokenSource();
            var before = acknowledged.Count;
            var workers = Enumerable.Range(0, 2).Select(w => UploadUntilKilledAsync(rig, pool, iteration, w, acknowledged, stop.Token)).ToList();
            if (iteration % 2 == 1)
            {
                // Every other round the random moment is drawn after this round's first acknowledgement: on a loaded
                // machine a 12 MiB upload can take longer than the longest delay, and the test must see some succeed.
                for (var waited = 0; acknowledged.Count == before && waited < 600; waited++)
                {
                    await Task.Delay(50, Ct);
                }
            }

            var delay = await rig.KillAtRandomMomentAsync(30, 1500);
            kills.Add($"{delay} ms");
            await stop.CancelAsync();
            await Task.WhenAll(workers);
        }

        Assert.True(acknowledged.Count >= Iterations / 2, $"only {acknowledged.Count} uploads were acknowledged in {Iterations} rounds");
        // Ten kills at random moments while two 12 MiB uploads are always in flight: some must have cut one off.
        Assert.True(swept + completed > 0, $"no kill caught an upload in flight (kills at {string.Join(", ", kills)})");
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{Iterations} kills at {string.Join(", ", kills)}: {acknowledged.Count} uploads acknowledged, start-up removed {swept} cut-off upload file(s) and completed {completed}.");
        rig.Server.Kill();
        var verify = await RegistryCli.RunAsync(rig.DataDirectory, "verify-artifacts");
        Assert.True(verify.ExitCode == 0, verify.StandardOutput + verify.StandardError);
    }

    private static async Task UploadUntilKilledAsync(CrashRig rig, byte[] pool, int iteration, int worker,
        ConcurrentDictionary<string, string> acknowledged, CancellationToken stop)
    {
        using var client = rig.Server.ClientFor(rig.DataScientistToken);
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var path = $"round-{iteration}/worker-{worker}/part-{n}.bin";
            // A different window of the pool each time, stamped with its path: every file has its own hash.
            var bytes = pool.AsSpan(Random.Shared.Next(0, 64 * 1024), FileBytes).ToArray();
            System.Text.Encoding.ASCII.GetBytes(path.PadRight(64)).CopyTo(bytes, 0);
            var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            // Half the uploads announce their length (the store preallocates), half are chunked.
            HttpContent content = n % 2 == 0
                ? new ByteArrayContent(bytes)
                : new StreamContent(new NonSeekableStream(bytes));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            try
            {
                using var response = await client.PutAsync($"/api/v1/models/{Model}/versions/1/files/{path}", content, CancellationToken.None);
                if (response.IsSuccessStatusCode)
                {
                    acknowledged[path] = sha;
                }
                else
                {
                    Assert.Fail($"upload {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(CancellationToken.None)}");
                }
            }
            catch (HttpRequestException)
            {
                return; // the server died under this request: its outcome is unknown, and either is allowed
            }
        }
    }

    private static async Task AssertAcknowledgedPresentAsync(CrashRig rig, ConcurrentDictionary<string, string> acknowledged, string when)
    {
        using var client = rig.Server.ClientFor(rig.DataScientistToken);
        var files = (await client.GetFromJsonAsync<JsonElement>($"/api/v1/models/{Model}/versions/1/files", Ct))
            .EnumerateArray().ToDictionary(f => f.GetProperty("path").GetString()!, f => f.GetProperty("sha256").GetString());
        foreach (var (path, sha) in acknowledged)
        {
            Assert.True(files.TryGetValue(path, out var stored), $"{when}: the acknowledged upload {path} is gone");
            Assert.True(stored == sha, $"{when}: {path} is listed with {stored}, uploaded as {sha}");
        }
    }

    /// <summary>A body of unknown length, so the client sends it chunked.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data, writable: false)
    {
        public override bool CanSeek => false;
    }
}
