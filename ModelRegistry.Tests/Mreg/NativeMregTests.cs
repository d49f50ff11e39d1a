using System.Security.Cryptography;
using ModelRegistry.Client;
using ModelRegistry.Core.Lifecycle;

namespace ModelRegistry.Tests.Mreg;

/// <summary>
/// The shipped <c>mreg</c> — the Native AOT binary, run as a process — through every verb with <c>--json</c>, against the
/// app on a real port. What trimming or a missing source-generated JSON type would break shows here, not for a user.
/// </summary>
public sealed class NativeMregTests(MregFixture fixture) : IClassFixture<MregFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Native_binary_logs_in_pushes_lists_records_promotes_with_wait_pulls_and_verifies_with_json_and_exit_codes()
    {
        var config = Directory.CreateTempSubdirectory("mreg-native-config-");
        var env = new Dictionary<string, string> { ["MREG_CONFIG_DIR"] = config.FullName };
        var shard = RandomNumberGenerator.GetBytes(9 * 1024 * 1024 + 3);   // 8 MiB and up: tus, hashed while sending
        var source = ModelDirectory.Create(("config.json", "{\"n\":1}"u8.ToArray()), ("weights/shards/model-00001.bin", shard));
        var target = Directory.CreateTempSubdirectory("mreg-native-pull-");
        try
        {
            var version = await NativeMreg.RunAsync(env, Ct, "--version");
            Assert.True(version.ExitCode == 0, version.ToString());
            Assert.StartsWith("1.0.0", version.Out.Trim(), StringComparison.Ordinal);

            var login = await NativeMreg.RunAsync(env, Ct, "login", "--url", fixture.Url.ToString(), "--token", fixture.Token, "--json");
            Assert.True(login.ExitCode == 0, login.ToString());
            var configFile = login.Json.GetProperty("configFile").GetString()!;
            Assert.Equal(Path.Combine(config.FullName, "config.json"), configFile);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(configFile));
            }

            var pushed = await NativeMreg.RunAsync(env, Ct, "push", source.FullName, "--model", "native", "--source", "run-7", "--json");
            Assert.True(pushed.ExitCode == 0, pushed.ToString());
            Assert.Equal(1, pushed.Json.GetProperty("version").GetInt32());
            var large = pushed.Json.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("path").GetString() == "weights/shards/model-00001.bin");
            Assert.Equal(ModelDirectory.Sha(shard), large.GetProperty("sha256").GetString());
            Assert.Equal("while sending", large.GetProperty("hashed").GetString());
            var digest = pushed.Json.GetProperty("digest").GetString();

            var models = await NativeMreg.RunAsync(env, Ct, "ls", "--json");
            Assert.True(models.ExitCode == 0, models.ToString());
            Assert.Contains(models.Json.EnumerateArray(), m => m.GetProperty("name").GetString() == "native" && m.GetProperty("versions").GetInt32() == 1);
            var versions = await NativeMreg.RunAsync(env, Ct, "ls", "native", "--json");
            var row = Assert.Single(versions.Json.EnumerateArray());
            Assert.Equal("None", row.GetProperty("stage").GetString());
            Assert.Equal("run-7", row.GetProperty("source").GetString());

            var metrics = await NativeMreg.RunAsync(env, Ct, "metrics", "add", "native", "1", "mmlu=0.71", "--dataset", "mmlu", "--json");
            Assert.True(metrics.ExitCode == 0, metrics.ToString());
            Assert.Equal(0.71, Assert.Single(metrics.Json.EnumerateArray()).GetProperty("value").GetDouble());
            var alias = await NativeMreg.RunAsync(env, Ct, "alias", "set", "native", "champion", "1", "--json");
            Assert.True(alias.ExitCode == 0, alias.ToString());
            Assert.Equal(digest, alias.Json.GetProperty("digest").GetString());

            var waiting = NativeMreg.RunAsync(env, Ct, "promote", "native", "1", "--to", "staging", "--wait", "--timeout", "2m", "--json");
            await ApproveWhenRequestedAsync("native");
            var promoted = await waiting;
            Assert.True(promoted.ExitCode == 0, promoted.ToString());
            Assert.Equal("Approved", promoted.Json.GetProperty("status").GetString());
            Assert.Equal("Staging", promoted.Json.GetProperty("toStage").GetString());

            var pulled = await NativeMreg.RunAsync(env, Ct, "pull", "native@staging", target.FullName, "--parallel", "2", "--json");
            Assert.True(pulled.ExitCode == 0, pulled.ToString());
            Assert.Equal(digest, pulled.Json.GetProperty("digest").GetString());
            Assert.Equal(shard, await File.ReadAllBytesAsync(Path.Combine(target.FullName, "weights", "shards", "model-00001.bin"), Ct));

            var verified = await NativeMreg.RunAsync(env, Ct, "verify", "native@champion", target.FullName, "--json");
            Assert.True(verified.ExitCode == 0 && verified.Json.GetProperty("ok").GetBoolean(), verified.ToString());
            var path = Path.Combine(target.FullName, "config.json");
            var bytes = await File.ReadAllBytesAsync(path, Ct);
            bytes[0] ^= 0x01;
            await File.WriteAllBytesAsync(path, bytes, Ct);
            var failed = await NativeMreg.RunAsync(env, Ct, "verify", "native@1", target.FullName, "--json");
            Assert.Equal(ExitCodes.VerificationFailed, failed.ExitCode);
            Assert.Equal("config.json", failed.Json.GetProperty("mismatched")[0].GetProperty("path").GetString());

            var missing = await NativeMreg.RunAsync(env, Ct, "pull", "no-such-model@1", Path.Combine(target.FullName, "unused"), "--json");
            Assert.Equal(ExitCodes.NotFound, missing.ExitCode);
            Assert.True(missing.Json.GetProperty("error").TryGetProperty("status", out var status) && status.GetInt32() == 404, missing.ToString());
            Assert.Contains("no-such-model", missing.Error, StringComparison.Ordinal);

            var usage = await NativeMreg.RunAsync(env, Ct, "promote", "native", "1", "--to", "heaven");
            Assert.Equal(ExitCodes.Usage, usage.ExitCode);
        }
        finally
        {
            config.Delete(recursive: true);
            source.Delete(recursive: true);
            target.Delete(recursive: true);
        }
    }

    private async Task ApproveWhenRequestedAsync(string model)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromMinutes(1));
        while (true)
        {
            var pending = await fixture.App.Get<LifecycleQueries>().ListAsync(new TransitionQuery(TransitionStatus.Pending), limit.Token);
            if (pending.Items.FirstOrDefault(r => r.ModelName == model) is { } request)
            {
                await fixture.App.Get<LifecycleService>().ApproveAsync(fixture.Reviewer.Actor, request.Id, "Looks right.", limit.Token);
                return;
            }

            await Task.Delay(50, limit.Token);
        }
    }
}
