using System.Net;
using ModelRegistry.Core;
using ModelRegistry.Core.Artifacts.Storage;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>A registry started on a data directory where a crash left an upload half-written.</summary>
public sealed class StartupSweepTests
{
    [Fact]
    public async Task Starting_the_registry_removes_files_of_uploads_cut_off_by_a_crash()
    {
        var directory = Path.Combine(Path.GetTempPath(), "mr-tests", $"sweep-{Guid.NewGuid():N}");
        var tmp = Path.Combine(directory, "artifacts", "tmp");
        Directory.CreateDirectory(tmp);
        var part = Path.Combine(tmp, $"{Guid.NewGuid():N}.part");
        var ready = Path.Combine(tmp, $"{new string('c', 64)}.{Guid.NewGuid():N}.ready");
        await File.WriteAllBytesAsync(part, new byte[4096], TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(ready, new byte[4096], TestContext.Current.CancellationToken);
        // The crash was a while ago: younger files may be another instance's upload in progress (see the next test).
        var crashed = DateTime.UtcNow - FileSystemArtifactStore.UnfinishedUploadGrace - TimeSpan.FromMinutes(1);
        File.SetLastWriteTimeUtc(part, crashed);
        File.SetLastWriteTimeUtc(ready, crashed);
        await using var app = new RegistryApp { DataDirectory = directory };

        var health = await app.AnonymousClient().GetAsync("/healthz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Empty(Directory.EnumerateFiles(tmp));
        Assert.Empty(app.StoreFiles());
    }

    [Fact]
    public async Task A_single_instance_on_sqlite_sweeps_leftovers_of_any_age_since_nothing_else_can_be_writing()
    {
        var directory = Path.Combine(Path.GetTempPath(), "mr-tests", $"sweep-{Guid.NewGuid():N}");
        var tmp = Path.Combine(directory, "artifacts", "tmp");
        Directory.CreateDirectory(tmp);
        // A crash a moment ago (kill -9, then an immediate restart).
        await File.WriteAllBytesAsync(Path.Combine(tmp, $"{Guid.NewGuid():N}.part"), new byte[4096], TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(tmp, $"{new string('e', 64)}.{Guid.NewGuid():N}.ready"), new byte[4096],
            TestContext.Current.CancellationToken);
        await using var app = new RegistryApp { DataDirectory = directory };

        var health = await app.AnonymousClient().GetAsync("/healthz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Empty(Directory.EnumerateFiles(tmp));
    }

    [Fact]
    public async Task Starting_a_second_instance_on_postgres_leaves_the_upload_another_instance_is_streaming()
    {
        var directory = Path.Combine(Path.GetTempPath(), "mr-tests", $"sweep-{Guid.NewGuid():N}");
        var tmp = Path.Combine(directory, "artifacts", "tmp");
        Directory.CreateDirectory(tmp);
        var streaming = Path.Combine(tmp, $"{Guid.NewGuid():N}.part");
        var streamed = Path.Combine(tmp, $"{new string('d', 64)}.{Guid.NewGuid():N}.ready");
        await File.WriteAllBytesAsync(streaming, new byte[4096], TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(streamed, new byte[4096], TestContext.Current.CancellationToken);
        await using var app = new RegistryApp
        {
            Database = DatabaseProvider.Postgres,
            ConnectionString = PostgresServer.Instance.CreateDatabase("sweep"),
            DataDirectory = directory,
        };

        var health = await app.AnonymousClient().GetAsync("/healthz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.True(File.Exists(streaming));
        Assert.True(File.Exists(streamed));
    }
}
