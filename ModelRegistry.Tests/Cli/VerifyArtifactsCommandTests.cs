using System.Security.Cryptography;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Cli;

/// <summary><c>verify-artifacts</c> run as the operator runs it, on the data directory of a running registry.</summary>
[Collection(CommandLineCollection.Name)]
public sealed class VerifyArtifactsCommandTests(CommandLineFixture fixture) : IClassFixture<CommandLineFixture>
{
    [Fact]
    public async Task Verify_artifacts_passes_on_a_healthy_store_and_names_each_file_whose_bytes_changed()
    {
        var app = fixture.App;
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "verified");
        await app.CreateVersionAsync(ds, "verified");
        var good = RandomNumberGenerator.GetBytes(10_000);
        var bad = RandomNumberGenerator.GetBytes(10_000);
        await app.UploadAsync(ds, "verified", 1, "good.dat", good);
        var upload = await app.UploadAsync(ds, "verified", 1, "shards/bad.dat", bad);

        var healthy = await fixture.RunAsync("verify-artifacts");

        Assert.Equal(0, healthy.ExitCode);
        Assert.Equal("", healthy.StandardOutput);
        Assert.Contains("all match", healthy.StandardError);

        var sha = upload.Artifact.Sha256;
        var blob = StoredBlobs.PathOf(fixture.DataDirectory, sha);
        StoredBlobs.MakeWritable(blob);

        bad[5000] ^= 0x01; // one flipped bit
        await File.WriteAllBytesAsync(blob, bad, TestContext.Current.CancellationToken);

        var broken = await fixture.RunAsync("verify-artifacts");

        Assert.Equal(1, broken.ExitCode);
        var line = Assert.Single(broken.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"verified/1/shards/bad.dat\t{sha}\thash mismatch", line);
        Assert.Contains("1 do not match", broken.StandardError);
    }
}
