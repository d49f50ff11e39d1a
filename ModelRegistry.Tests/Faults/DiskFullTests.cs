using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Faults;

/// <summary>
/// The artifact store on a 32 MiB tmpfs, and uploads bigger than that: with a declared length (the store's
/// preallocation fails at once) and chunked (a write fails part-way). Each is a 507 problem with a readable message;
/// no temporary file stays, the database is intact, and the registry keeps taking other requests.
/// </summary>
public sealed class DiskFullTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_upload_that_fills_the_disk_is_a_507_leaving_nothing_behind_and_the_registry_keeps_working()
    {
        var data = Path.Combine(Path.GetTempPath(), "mr-tests", $"diskfull-{Guid.NewGuid():N}");
        var artifacts = Path.Combine(data, "artifacts");
        try
        {
            await using var disk = await Tmpfs.MountAsync(artifacts, "32m");
            await using var app = new RegistryApp { DataDirectory = data };
            var ds = await app.CreateUserAsync(Roles.DataScientist);
            var auditor = await app.CreateUserAsync(Roles.Auditor);
            await app.RegisterModelAsync(ds, "too-big");
            await app.CreateVersionAsync(ds, "too-big");
            using var client = await app.ClientForAsync(ds);
            var before = await app.StateAsync();
            var big = RandomNumberGenerator.GetBytes(48 * 1024 * 1024);

            foreach (var declared in new[] { true, false })
            {
                HttpContent content = declared ? new ByteArrayContent(big) : new StreamContent(new UnknownLengthStream(big));
                content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                using var response = await client.PutAsync("/api/v1/models/too-big/versions/1/files/weights.bin", content, Ct);

                Assert.Equal(HttpStatusCode.InsufficientStorage, response.StatusCode);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
                Assert.Equal("Insufficient storage", problem.GetProperty("title").GetString());
                Assert.Contains("storage is full", problem.GetProperty("detail").GetString());
                Assert.Empty(Directory.EnumerateFiles(Path.Combine(artifacts, "tmp")));
                Assert.Empty(app.StoreFiles());
            }

            Assert.Equal(before, await app.StateAsync());

            // Space is free again: other requests, an upload among them, work as before.
            var small = RandomNumberGenerator.GetBytes(1024 * 1024);
            using var ok = await client.PutAsync("/api/v1/models/too-big/versions/1/files/small.bin", new ByteArrayContent(small), Ct);
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
            using var metrics = await client.PostAsJsonAsync("/api/v1/models/too-big/versions/1/metrics",
                new[] { new { name = "accuracy", value = 0.5 } }, Ct);
            Assert.True(metrics.IsSuccessStatusCode, await metrics.Content.ReadAsStringAsync(Ct));
            var files = await client.GetFromJsonAsync<JsonElement>("/api/v1/models/too-big/versions/1/files", Ct);
            Assert.Equal(["small.bin"], files.EnumerateArray().Select(f => f.GetProperty("path").GetString()));
            await using (var db = await app.DbAsync())
            {
                var connection = db.Database.GetDbConnection();
                await connection.OpenAsync(Ct);
                await using var check = connection.CreateCommand();
                check.CommandText = "PRAGMA integrity_check";
                Assert.Equal("ok", await check.ExecuteScalarAsync(Ct));
            }

            using var auditorClient = await app.ClientForAsync(auditor);
            var chain = await auditorClient.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify", Ct);
            Assert.True(chain.GetProperty("valid").GetBoolean());
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    /// <summary>A body of unknown length, so the client sends it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data, writable: false)
    {
        public override bool CanSeek => false;
    }
}
