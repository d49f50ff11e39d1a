using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// A short run of bench/writers.sh's load (8 writers for 5 s instead of 32 for 60 s) as a regular test, to catch
/// "database is locked" regressions: every writer edits its model, uploads small files, posts results and moves
/// versions through an approval; no request may fail, and everything acknowledged must be there afterwards.
/// </summary>
public sealed class ConcurrentWritersTests
{
    private const int Writers = 8;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(5);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Eight_writers_for_five_seconds_get_no_errors_and_lose_nothing()
    {
        await using var app = new RegistryApp { Settings = { ["Registry:RateLimits:ApiPerMinute"] = "1000000" } };
        app.UseKestrel(0);
        app.StartServer();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        var auditor = await app.CreateUserAsync(Roles.Auditor);
        var failures = new ConcurrentQueue<string>();
        var writers = new List<Writer>();
        for (var i = 0; i < Writers; i++)
        {
            var model = $"writer-{i}";
            await app.RegisterModelAsync(ds, model);
            await app.CreateVersionAsync(ds, model);
            writers.Add(new Writer(model, await app.ClientForAsync(ds), await app.ClientForAsync(reviewer), failures));
        }

        var deadline = Stopwatch.StartNew();
        await Task.WhenAll(writers.Select(w => Task.Run(() => w.RunAsync(deadline, Duration), Ct)));

        Assert.Empty(failures);
        Assert.True(writers.Sum(w => w.Writes) >= Writers * 4, $"only {writers.Sum(w => w.Writes)} writes in {Duration}");
        foreach (var w in writers)
        {
            var model = await w.Ds.GetFromJsonAsync<JsonElement>($"/api/v1/models/{w.Model}", Ct);
            Assert.Equal(w.LastEdit, model.GetProperty("description").GetString());
            var files = (await w.Ds.GetFromJsonAsync<JsonElement>($"/api/v1/models/{w.Model}/versions/1/files", Ct))
                .EnumerateArray().Select(f => f.GetProperty("path").GetString()).ToHashSet();
            Assert.Subset(files, w.Files.ToHashSet());
            var metrics = (await w.Ds.GetFromJsonAsync<JsonElement>($"/api/v1/models/{w.Model}/versions/1/metrics", Ct))
                .EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToHashSet();
            Assert.Subset(metrics, w.Metrics.ToHashSet());
            foreach (var number in w.Staged)
            {
                var version = await w.Ds.GetFromJsonAsync<JsonElement>($"/api/v1/models/{w.Model}/versions/{number}", Ct);
                Assert.Equal("Staging", version.GetProperty("stage").GetString());
            }
        }

        using var audit = await app.ClientForAsync(auditor);
        var chain = await audit.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify", Ct);
        Assert.True(chain.GetProperty("valid").GetBoolean());
    }

    private sealed class Writer(string model, HttpClient ds, HttpClient reviewer, ConcurrentQueue<string> failures)
    {
        private readonly byte[] _payload = System.Security.Cryptography.RandomNumberGenerator.GetBytes(64 * 1024);

        public string Model => model;
        public HttpClient Ds => ds;
        public string? LastEdit { get; private set; }
        public List<string?> Files { get; } = [];
        public List<string?> Metrics { get; } = [];
        public List<int> Staged { get; } = [];
        public int Writes { get; private set; }

        public async Task RunAsync(Stopwatch clock, TimeSpan duration)
        {
            var b = $"/api/v1/models/{model}";
            for (var n = 0; clock.Elapsed < duration; n++)
            {
                switch (n % 4)
                {
                    case 0:
                        var text = $"edit {n}";
                        if (await WriteAsync(ds, HttpMethod.Patch, b, JsonContent.Create(new { description = text })) is not null)
                        {
                            LastEdit = text;
                        }

                        break;
                    case 1:
                        BitConverter.TryWriteBytes(_payload, n);
                        if (await WriteAsync(ds, HttpMethod.Put, $"{b}/versions/1/files/part-{n}.bin", new ByteArrayContent(_payload)) is not null)
                        {
                            Files.Add($"part-{n}.bin");
                        }

                        break;
                    case 2:
                        if (await WriteAsync(ds, HttpMethod.Post, $"{b}/versions/1/metrics",
                                JsonContent.Create(new[] { new { name = $"metric-{n}", value = n / 7.0 } })) is not null)
                        {
                            Metrics.Add($"metric-{n}");
                        }

                        break;
                    default:
                        if (await WriteAsync(ds, HttpMethod.Post, $"{b}/versions", JsonContent.Create(new { source = $"run {n}" })) is { } v
                            && await WriteAsync(ds, HttpMethod.Post, $"{b}/versions/{v.GetProperty("number").GetInt32()}/transitions",
                                JsonContent.Create(new { toStage = "Staging" })) is { } r
                            && await WriteAsync(reviewer, HttpMethod.Post, $"/api/v1/transitions/{r.GetProperty("id").GetInt64()}/approve",
                                JsonContent.Create(new { comment = "ok" })) is not null)
                        {
                            Staged.Add(v.GetProperty("number").GetInt32());
                        }

                        break;
                }
            }
        }

        private async Task<JsonElement?> WriteAsync(HttpClient client, HttpMethod method, string path, HttpContent body)
        {
            using var response = await client.SendAsync(new HttpRequestMessage(method, path) { Content = body }, Ct);
            Writes++;
            var text = await response.Content.ReadAsStringAsync(Ct);
            if (!response.IsSuccessStatusCode)
            {
                failures.Enqueue($"{method} {path} → {(int)response.StatusCode} {text}");
                return null;
            }

            return JsonDocument.Parse(text).RootElement.Clone();
        }
    }
}
