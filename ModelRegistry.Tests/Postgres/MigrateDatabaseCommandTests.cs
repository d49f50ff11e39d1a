using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Cli;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Postgres;

/// <summary>An operator moves a SQLite installation to PostgreSQL with <c>migrate-database</c>, then starts on it.</summary>
public sealed class MigrateDatabaseCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_seeded_sqlite_registry_moves_to_postgres_with_its_rows_chain_and_files_and_only_into_an_empty_database()
    {
        var sqliteDirectory = Path.Combine(Path.GetTempPath(), "mr-tests", $"migrate-from-{Guid.NewGuid():N}");
        var targetDirectory = Path.Combine(Path.GetTempPath(), "mr-tests", $"migrate-to-{Guid.NewGuid():N}");
        Assert.Equal(0, (await RegistryCli.RunAsync(sqliteDirectory, "seed-demo")).ExitCode);

        long models, versions;
        AuditVerification before;
        (string Model, int Number, string Path, string Sha256) file;
        await using (var sqlite = new RegistryApp { DataDirectory = sqliteDirectory, KeepDataDirectory = true })
        {
            await using var db = await sqlite.DbAsync();
            models = await db.Models.LongCountAsync(Ct);
            versions = await db.Versions.LongCountAsync(Ct);
            file = await db.Artifacts.OrderBy(a => a.Id)
                .Select(a => new ValueTuple<string, int, string, string>(a.Version.Model.Name, a.Version.Number, a.Path, a.Sha256)).FirstAsync(Ct);
            before = await AuditVerifier.VerifyAsync(db, Ct);
        }

        Assert.True(models > 0 && before.Valid && before.Events > 0);
        var database = PostgresServer.Instance.CreateDatabase("migrated");

        var migrated = await RegistryCli.RunAsync(sqliteDirectory, "migrate-database", "--to-postgres", database, "--artifacts-to", targetDirectory);

        Assert.True(migrated.ExitCode == 0, migrated.StandardError);
        var report = JsonDocument.Parse(migrated.StandardOutput).RootElement;
        Assert.True(report.GetProperty("verified").GetBoolean());
        Assert.Equal(before.HeadHash, report.GetProperty("headHash").GetString());

        await using (var postgres = new RegistryApp { Database = DatabaseProvider.Postgres, ConnectionString = database, DataDirectory = targetDirectory })
        {
            await using (var db = await postgres.DbAsync())
            {
                Assert.Equal(models, await db.Models.LongCountAsync(Ct));
                Assert.Equal(versions, await db.Versions.LongCountAsync(Ct));
                var after = await AuditVerifier.VerifyAsync(db, Ct);
                Assert.True(after.Valid);
                Assert.Equal((before.Events, before.HeadSequence, before.HeadHash), (after.Events, after.HeadSequence, after.HeadHash));
            }

            // New rows continue after the copied ids and the chain goes on; the copied file downloads intact.
            var viewer = await postgres.CreateUserAsync(Roles.DataScientist);
            await postgres.RegisterModelAsync(viewer, "after-the-move");
            using var client = await postgres.ClientForAsync(viewer);
            var download = await client.GetAsync($"/api/v1/models/{file.Model}/versions/{file.Number}/files/{file.Path}", Ct);
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Equal(file.Sha256, Convert.ToHexStringLower(SHA256.HashData(await download.Content.ReadAsByteArrayAsync(Ct))));
            Assert.True((await postgres.Get<AuditLogService>().VerifyAsync(Actor.CommandLine, Ct)).Valid);
        }

        var again = await RegistryCli.RunAsync(sqliteDirectory, "migrate-database", "--to-postgres", database);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("not empty", again.StandardError);
        Directory.Delete(sqliteDirectory, recursive: true);
    }

    [Fact]
    public async Task Blobs_move_into_an_s3_bucket_with_artifacts_to_s3_and_download_from_there()
    {
        var sqliteDirectory = Path.Combine(Path.GetTempPath(), "mr-tests", $"migrate-s3-{Guid.NewGuid():N}");
        Assert.Equal(0, (await RegistryCli.RunAsync(sqliteDirectory, "seed-demo")).ExitCode);
        List<(string Model, int Number, string Path, string Sha256)> files;
        await using (var sqlite = new RegistryApp { DataDirectory = sqliteDirectory, KeepDataDirectory = true })
        {
            await using var db = await sqlite.DbAsync();
            files = (await db.Artifacts.OrderBy(a => a.Id)
                .Select(a => new ValueTuple<string, int, string, string>(a.Version.Model.Name, a.Version.Number, a.Path, a.Sha256)).ToListAsync(Ct));
        }

        Assert.NotEmpty(files);
        await using var s3 = await S3Server.StartAsync("migrated");
        var database = PostgresServer.Instance.CreateDatabase("migrated-s3");
        // The installation's own store stays FileSystem (the source); the bucket is named for this one command.
        var environment = new Dictionary<string, string>
        {
            ["Registry__Artifacts__S3__ServiceUrl"] = s3.ServiceUrl,
            ["Registry__Artifacts__S3__Bucket"] = s3.Bucket,
            ["Registry__Artifacts__S3__AccessKey"] = S3Server.AccessKey,
            ["Registry__Artifacts__S3__SecretKey"] = S3Server.SecretKey,
        };

        var migrated = await RegistryCli.RunAsync(sqliteDirectory, environment, "migrate-database", "--to-postgres", database, "--artifacts-to", "s3");

        Assert.True(migrated.ExitCode == 0, migrated.StandardError);
        Assert.True(JsonDocument.Parse(migrated.StandardOutput).RootElement.GetProperty("verified").GetBoolean());
        var stored = await s3.ContentsAsync();
        foreach (var sha in files.Select(f => f.Sha256).Distinct())
        {
            Assert.Contains(stored, key => key.EndsWith(sha, StringComparison.Ordinal));
        }

        Assert.DoesNotContain(stored, key => key.StartsWith("tmp/", StringComparison.Ordinal) || key.StartsWith("upload:", StringComparison.Ordinal));

        await using var postgres = new RegistryApp { Database = DatabaseProvider.Postgres, ConnectionString = database };
        s3.Configure(postgres);
        var reader = await postgres.CreateUserAsync();
        using var client = await postgres.ClientForAsync(reader);
        var file = files[^1];
        var download = await client.GetAsync($"/api/v1/models/{file.Model}/versions/{file.Number}/files/{file.Path}", Ct);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(file.Sha256, Convert.ToHexStringLower(SHA256.HashData(await download.Content.ReadAsByteArrayAsync(Ct))));
        Directory.Delete(sqliteDirectory, recursive: true);
    }

    [Theory]
    [InlineData()]
    [InlineData("users", "create", "--email", "a@example.com", "--password", "long-enough-password")]
    public async Task Starting_on_an_unreachable_database_names_the_settings_and_exits_non_zero(params string[] args)
    {
        var directory = Path.Combine(Path.GetTempPath(), "mr-tests", $"unreachable-{Guid.NewGuid():N}");
        var environment = new Dictionary<string, string>
        {
            ["Registry__Database"] = "Postgres",
            ["ConnectionStrings__Registry"] = PostgresServer.Unreachable() + ";Password=s3cret-pw",
            ["Urls"] = "http://127.0.0.1:0",
        };

        var result = await RegistryCli.RunAsync(directory, environment, args);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("ConnectionStrings:Registry", result.StandardError);
        Assert.Contains("Registry:Database = Postgres", result.StandardError);
        Assert.DoesNotContain("s3cret-pw", result.StandardError);
        Assert.DoesNotContain("   at ", result.StandardError + result.StandardOutput);
    }
}
