using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Faults;

/// <summary>
/// The promise of resumable uploads, proven with the reference tus client (tus-js-client, npm) against the registry as
/// a separate process: an upload stopped partway, the server killed with SIGKILL and started again, and the same client
/// run again for the same file resumes at the offset the server kept (found through its URL storage, no new upload),
/// and the committed file has the file's SHA-256. On the S3 store the kept bytes are parts of an S3 multipart upload.
/// </summary>
public sealed class TusClientResumeTests
{
    private const string Model = "resumable";
    private const int FileBytes = 24 * 1024 * 1024 + 4321;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public Task An_upload_stopped_partway_resumes_at_the_kept_offset_after_the_server_was_killed() => RunAsync(s3: null, chunkSize: 4 * 1024 * 1024);

    [Fact]
    public async Task On_the_S3_store_the_kept_bytes_are_a_multipart_upload_that_the_resumed_upload_completes()
    {
        await using var s3 = await S3Server.StartAsync();
        // 3 MiB chunks against 5 MiB parts: requests end between parts, so tails are kept as well as parts.
        await RunAsync(s3, chunkSize: 3 * 1024 * 1024);
    }

    private static async Task RunAsync(S3Server? s3, long chunkSize)
    {
        var directory = Path.Combine(Path.GetTempPath(), "mr-tests", $"tus-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        string token;
        await using (var seed = new RegistryApp { DataDirectory = Path.Combine(directory, "data"), KeepDataDirectory = true })
        {
            var ds = await seed.CreateUserAsync(Roles.DataScientist);
            token = (await seed.Get<TokenService>().CreateAsync(Actor.CommandLine, ds.Id, "tus", null, Ct)).Token;
            await seed.RegisterModelAsync(ds, Model);
            await seed.CreateVersionAsync(ds, Model);
        }

        var settings = new Dictionary<string, string?>(RegistryApp.PolicyWithoutContentGates)
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        };
        foreach (var (key, value) in s3?.Settings ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        settings["Registry:Artifacts:S3:PartSizeMiB"] = "5";
        await using var server = new RegistryServer(Path.Combine(directory, "data"), settings) { KeepPort = true };
        try
        {
            await server.StartAsync(Ct);
            var file = Path.Combine(directory, "model.safetensors");
            var bytes = RandomNumberGenerator.GetBytes(FileBytes);
            await File.WriteAllBytesAsync(file, bytes, Ct);
            var storage = Path.Combine(directory, "tus-urls.json");

            var first = await TusClient.UploadAsync(server.BaseAddress, token, Model, 1, file, "weights/model.safetensors", storage,
                chunkSize, stopAfter: 10 * 1024 * 1024, Ct);

            Assert.True(first.ExitCode == 0, first.ToString());
            var stopped = Assert.Single(first.Named("stopped"));
            var kept = stopped.GetProperty("offset").GetInt64();
            Assert.InRange(kept, 10 * 1024 * 1024, FileBytes - 1);
            var id = stopped.GetProperty("url").GetString()![^32..];
            if (s3 is not null)
            {
                Assert.Contains(await s3.UploadsAsync(), u => u.Key == $"uploads/{id}/data");
            }

            server.Kill();
            await server.StartAsync(Ct);
            var second = await TusClient.UploadAsync(server.BaseAddress, token, Model, 1, file, "weights/model.safetensors", storage,
                chunkSize, stopAfter: null, Ct);

            Assert.True(second.ExitCode == 0, second.ToString() + "\n" + server.RecentOutput);
            Assert.Equal(stopped.GetProperty("url").GetString(), Assert.Single(second.Named("resumed")).GetProperty("url").GetString());
            var requests = second.Named("request").ToList();
            Assert.DoesNotContain(requests, r => r.GetProperty("method").GetString() == "POST");
            Assert.Equal("HEAD", requests[0].GetProperty("method").GetString());
            Assert.Equal(kept, requests.First(r => r.GetProperty("method").GetString() == "PATCH").GetProperty("offset").GetInt64());
            Assert.Single(second.Named("done"));

            using var client = server.ClientFor(token);
            var files = await client.GetFromJsonAsync<JsonElement>($"/api/v1/models/{Model}/versions/1/files", Ct);
            var stored = Assert.Single(files.EnumerateArray());
            var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            Assert.Equal(sha, stored.GetProperty("sha256").GetString());
            Assert.Equal(FileBytes, stored.GetProperty("size").GetInt64());
            var downloaded = await client.GetByteArrayAsync($"/api/v1/models/{Model}/versions/1/files/weights/model.safetensors", Ct);
            Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(downloaded)));
            if (s3 is not null)
            {
                var contents = await s3.ContentsAsync();
                Assert.DoesNotContain(contents, k => k.Contains(id, StringComparison.Ordinal));
                Assert.Contains($"blobs/{sha[..2]}/{sha[2..4]}/{sha}", contents);
            }
            else
            {
                Assert.Empty(Directory.EnumerateFiles(Path.Combine(directory, "data", "artifacts", "uploads")));
            }
        }
        finally
        {
            server.Kill();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS to clean from the temp directory.
            }
        }
    }
}
