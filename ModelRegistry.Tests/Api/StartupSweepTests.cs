using System.Net;
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
        await File.WriteAllBytesAsync(Path.Combine(tmp, $"{Guid.NewGuid():N}.part"), new byte[4096], TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(tmp, $"{new string('c', 64)}.{Guid.NewGuid():N}.ready"), new byte[4096],
            TestContext.Current.CancellationToken);
        await using var app = new RegistryApp { DataDirectory = directory };

        var health = await app.AnonymousClient().GetAsync("/healthz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Empty(Directory.EnumerateFiles(tmp));
        Assert.Empty(app.StoreFiles());
    }
}
