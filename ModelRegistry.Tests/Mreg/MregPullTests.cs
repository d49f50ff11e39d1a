using System.Security.Cryptography;
using ModelRegistry.Client;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Mreg;

/// <summary><c>mreg pull</c> and <c>mreg verify</c> against the app on a real port.</summary>
public sealed class MregPullTests(MregFixture fixture) : IClassFixture<MregFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Pull_by_number_alias_and_stage_gets_verified_files_and_verify_catches_a_flipped_byte()
    {
        var shard = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 5);
        var source = ModelDirectory.Create(("config.json", "{\"a\":1}"u8.ToArray()), ("nested/deep/shard.bin", shard), ("card notes.md", "x"u8.ToArray()));
        using var mreg = fixture.Runner();
        var pushed = await mreg.RunAsync(Ct, "push", source.FullName, "--model", "pull-model", "--json");
        Assert.True(pushed.ExitCode == 0, pushed.ToString());
        var digest = pushed.Json.GetProperty("digest").GetString();
        Assert.Equal(0, (await mreg.RunAsync(Ct, "alias", "set", "pull-model", "champion", "1")).ExitCode);
        var request = await fixture.App.Get<LifecycleService>().RequestAsync(fixture.DataScientist.Actor, "pull-model", 1, Stage.Staging, "ready", Ct);
        await fixture.App.Get<LifecycleService>().ApproveAsync(fixture.Reviewer.Actor, request.Id, "fine", Ct);

        foreach (var reference in new[] { "pull-model@1", "pull-model@champion", "pull-model@staging" })
        {
            var target = Directory.CreateTempSubdirectory("mreg-pull-");
            var pulled = await mreg.RunAsync(Ct, "pull", reference, target.FullName, "--json");

            Assert.True(pulled.ExitCode == 0, $"{reference}: {pulled}");
            Assert.Equal(digest, pulled.Json.GetProperty("digest").GetString());
            Assert.Equal(shard, await File.ReadAllBytesAsync(Path.Combine(target.FullName, "nested", "deep", "shard.bin"), Ct));
            Assert.Equal("x", await File.ReadAllTextAsync(Path.Combine(target.FullName, "card notes.md"), Ct));
            Assert.Empty(Directory.GetFiles(target.FullName, "*.mreg-part", SearchOption.AllDirectories));
            target.Delete(recursive: true);
        }

        // No reference: Production, which this model does not have yet.
        var noProduction = await mreg.RunAsync(Ct, "pull", "pull-model", Path.Combine(source.FullName, "..", "unused"));
        Assert.True(noProduction.ExitCode == ExitCodes.NotFound, noProduction.ToString());

        var verified = await mreg.RunAsync(Ct, "verify", "pull-model@champion", source.FullName, "--json");
        Assert.True(verified.ExitCode == 0, verified.ToString());
        Assert.True(verified.Json.GetProperty("ok").GetBoolean());

        var path = Path.Combine(source.FullName, "nested", "deep", "shard.bin");
        var bytes = await File.ReadAllBytesAsync(path, Ct);
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(path, bytes, Ct);
        await File.WriteAllTextAsync(Path.Combine(source.FullName, "extra.txt"), "not in the version", Ct);
        File.Delete(Path.Combine(source.FullName, "config.json"));

        var failed = await mreg.RunAsync(Ct, "verify", "pull-model@1", source.FullName, "--json");

        Assert.True(failed.ExitCode == ExitCodes.VerificationFailed, failed.ToString());
        Assert.False(failed.Json.GetProperty("ok").GetBoolean());
        Assert.Equal("nested/deep/shard.bin", failed.Json.GetProperty("mismatched")[0].GetProperty("path").GetString());
        Assert.Equal(["extra.txt"], failed.Json.GetProperty("extra").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["config.json"], failed.Json.GetProperty("missing").EnumerateArray().Select(e => e.GetString()));
        var text = await mreg.RunAsync(Ct, "verify", "pull-model@1", source.FullName);
        Assert.Contains("mismatched  nested/deep/shard.bin", text.Out, StringComparison.Ordinal);
        source.Delete(recursive: true);
    }

    [Fact]
    public async Task A_pull_resumes_a_partial_file_with_a_range_and_a_wrong_hash_keeps_no_file()
    {
        var weights = RandomNumberGenerator.GetBytes(6 * 1024 * 1024);
        var source = ModelDirectory.Create(("weights.bin", weights));
        using var mreg = fixture.Runner();
        Assert.Equal(0, (await mreg.RunAsync(Ct, "push", source.FullName, "--model", "pull-resume")).ExitCode);

        // Half the file arrived before an interruption: the rerun asks only for the rest.
        var target = Directory.CreateTempSubdirectory("mreg-pull-");
        var part = Path.Combine(target.FullName, "weights.bin.mreg-part");
        await File.WriteAllBytesAsync(part, weights[..(weights.Length / 2)], Ct);
        var counting = new CountingHandler();
        mreg.Handler = () => counting;

        var resumed = await mreg.RunAsync(Ct, "pull", "pull-resume@latest", target.FullName);

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(weights, await File.ReadAllBytesAsync(Path.Combine(target.FullName, "weights.bin"), Ct));
        Assert.False(File.Exists(part));
        var download = Assert.Single(counting.Requests, r => r.Path.EndsWith("/files/weights.bin", StringComparison.Ordinal));
        Assert.Equal(206, download.Status);
        Assert.Equal(weights.Length - (weights.Length / 2), download.Length);

        // A part file whose bytes are not the file's: the result does not hash right, so nothing is kept and the exit is 4.
        File.Delete(Path.Combine(target.FullName, "weights.bin"));
        var wrong = weights[..(weights.Length / 2)];
        wrong[10] ^= 0xff;
        await File.WriteAllBytesAsync(part, wrong, Ct);
        mreg.Handler = null;

        var failed = await mreg.RunAsync(Ct, "pull", "pull-resume@1", target.FullName, "--json");

        Assert.True(failed.ExitCode == ExitCodes.VerificationFailed, failed.ToString());
        Assert.False(File.Exists(Path.Combine(target.FullName, "weights.bin")));
        Assert.False(File.Exists(part));
        Assert.Equal("mismatch", failed.Json.GetProperty("files")[0].GetProperty("status").GetString());
        Assert.Contains("weights.bin", failed.Error, StringComparison.Ordinal);
        target.Delete(recursive: true);
        source.Delete(recursive: true);
    }

    [Fact]
    public async Task A_pull_asks_for_every_byte_as_a_range_and_itself_catches_damage_the_registry_cannot_see()
    {
        var weights = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        var source = ModelDirectory.Create(("weights.bin", weights));
        using var mreg = fixture.Runner();
        Assert.Equal(0, (await mreg.RunAsync(Ct, "push", source.FullName, "--model", "pull-rot")).ExitCode);
        var counting = new CountingHandler();
        mreg.Handler = () => counting;
        var target = Directory.CreateTempSubdirectory("mreg-pull-");

        var pulled = await mreg.RunAsync(Ct, "pull", "pull-rot@1", target.FullName);

        Assert.True(pulled.ExitCode == 0, pulled.ToString());
        Assert.Equal(weights, await File.ReadAllBytesAsync(Path.Combine(target.FullName, "weights.bin"), Ct));
        // bytes=0-: the registry verified the blob when it was pushed and does not hash it a second time; mreg does.
        var download = Assert.Single(counting.Requests, r => r.Path.EndsWith("/files/weights.bin", StringComparison.Ordinal));
        Assert.Equal(206, download.Status);
        Assert.Equal(weights.Length, download.Length);

        // A byte flipped on the registry's disk with its length and modification time kept: the registry has no reason
        // to look again, so the bytes go out as stored — and mreg refuses them.
        StoredBlobs.FlipByte(StoredBlobs.PathOf(fixture.App.DataDirectory, Convert.ToHexStringLower(SHA256.HashData(weights))), seed: 4,
            keepModificationTime: true);
        mreg.Handler = null;
        var again = Directory.CreateTempSubdirectory("mreg-pull-");

        var failed = await mreg.RunAsync(Ct, "pull", "pull-rot@1", again.FullName, "--json");

        Assert.True(failed.ExitCode == ExitCodes.VerificationFailed, failed.ToString());
        Assert.Equal("mismatch", failed.Json.GetProperty("files")[0].GetProperty("status").GetString());
        Assert.Empty(Directory.GetFiles(again.FullName, "*", SearchOption.AllDirectories));

        // A client that checks nothing (a plain GET, as curl sends) is still checked by the registry: the body breaks off.
        using var client = new HttpClient { BaseAddress = fixture.Url };
        client.DefaultRequestHeaders.Authorization = new("Bearer", fixture.Token);
        using var response = await client.GetAsync("/api/v1/models/pull-rot/versions/1/files/weights.bin", HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(await Record.ExceptionAsync(() => response.Content.CopyToAsync(Stream.Null, Ct)));
        foreach (var dir in new[] { target, again, source })
        {
            dir.Delete(recursive: true);
        }
    }
}
