using System.Text.Json;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Signing;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Cli;

[Collection(CommandLineCollection.Name)]
public sealed class BackupRestoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string TempDirectory(string kind) => Path.Combine(Path.GetTempPath(), "mr-tests", $"{kind}-{Guid.NewGuid():N}");

    [Fact]
    public async Task Backup_taken_while_serving_restores_into_an_empty_directory_with_a_valid_chain()
    {
        var backup = TempDirectory("backup");
        var restored = TempDirectory("restored");
        try
        {
            await using (var app = new RegistryApp())
            {
                var ds = await app.CreateUserAsync(Roles.DataScientist);
                await app.RegisterModelAsync(ds, "kept-model");
                await app.CreateVersionAsync(ds, "kept-model", new VersionInput(BaseModel: "meta-llama/Llama-3.1-8B"));

                // Writers keep going while the backup runs against the same data directory.
                var writing = Task.Run(async () =>
                {
                    for (var i = 0; i < 20; i++)
                    {
                        await app.CreateVersionAsync(ds, "kept-model");
                    }
                }, Ct);
                var result = await RegistryCli.RunAsync(app.DataDirectory, "backup", "--to", backup);
                await writing;

                Assert.True(result.ExitCode == 0, result.StandardError);
                var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(backup, "manifest.json"), Ct)).RootElement;
                Assert.True(manifest.GetProperty("auditEvents").GetInt64() >= 4);
            }

            var restore = await RegistryCli.RunAsync(restored, "restore", "--from", backup);
            Assert.True(restore.ExitCode == 0, restore.StandardError);
            var report = JsonDocument.Parse(restore.StandardOutput).RootElement;
            Assert.True(report.GetProperty("valid").GetBoolean());

            await using var after = new RegistryApp { DataDirectory = restored };
            await after.InitializeAsync();
            var version = await after.Get<VersionService>().GetAsync("kept-model", 1, Ct);
            Assert.Equal("meta-llama/Llama-3.1-8B", version.BaseModel);
            var verify = await RegistryCli.RunAsync(restored, "verify-audit");
            Assert.Equal(0, verify.ExitCode);
        }
        finally
        {
            if (Directory.Exists(backup))
            {
                Directory.Delete(backup, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Backup_copies_the_signing_key_owner_only_and_after_a_restore_old_attestations_verify_and_new_ones_use_the_same_key()
    {
        var backup = TempDirectory("backup");
        var restored = TempDirectory("restored");
        string keyId;
        try
        {
            await using (var app = new RegistryApp())
            {
                var ds = await app.CreateUserAsync(Roles.DataScientist);
                var reviewer = await app.CreateUserAsync(Roles.Reviewer);
                await app.ModelWithVersionsAsync(ds, "signed-model", 2);
                await app.PromoteAsync(ds, reviewer, "signed-model", 1, Stage.Staging);
                keyId = app.Get<SigningKeys>().CurrentKeyId;

                var result = await RegistryCli.RunAsync(app.DataDirectory, "backup", "--to", backup);

                Assert.True(result.ExitCode == 0, result.StandardError);
                var copied = SigningKeys.GeneratedKeyPath(backup);
                Assert.Equal(await File.ReadAllTextAsync(SigningKeys.GeneratedKeyPath(app.DataDirectory), Ct), await File.ReadAllTextAsync(copied, Ct));
                if (!OperatingSystem.IsWindows())
                {
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(copied));
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(copied)!));
                }
            }

            var restore = await RegistryCli.RunAsync(restored, "restore", "--from", backup);
            Assert.True(restore.ExitCode == 0, restore.StandardError);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SigningKeys.GeneratedKeyPath(restored)));
            }

            await using var after = new RegistryApp { DataDirectory = restored };
            await after.InitializeAsync();
            Assert.Equal(keyId, after.Get<SigningKeys>().CurrentKeyId);
            var attestations = after.Get<AttestationService>();
            var kept = Assert.Single(await attestations.ListAsync("signed-model", 1, Ct));
            Assert.Equal(new AttestationVerification(true, keyId, null), attestations.Verify(kept.Envelope));
            var ds2 = await after.CreateUserAsync(Roles.DataScientist);
            var reviewer2 = await after.CreateUserAsync(Roles.Reviewer);
            await after.PromoteAsync(ds2, reviewer2, "signed-model", 2, Stage.Staging);
            Assert.Equal(keyId, Assert.Single(await attestations.ListAsync("signed-model", 2, Ct)).KeyId);
        }
        finally
        {
            if (Directory.Exists(backup))
            {
                Directory.Delete(backup, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Restore_refuses_a_directory_that_already_holds_a_registry_and_a_tampered_backup()
    {
        var backup = TempDirectory("backup");
        try
        {
            await using var app = new RegistryApp();
            var ds = await app.CreateUserAsync(Roles.DataScientist);
            await app.RegisterModelAsync(ds, "some-model");
            Assert.Equal(0, (await RegistryCli.RunAsync(app.DataDirectory, "backup", "--to", backup)).ExitCode);

            var intoExisting = await RegistryCli.RunAsync(app.DataDirectory, "restore", "--from", backup);
            Assert.NotEqual(0, intoExisting.ExitCode);
            Assert.Contains("empty data directory", intoExisting.StandardError);

            await File.AppendAllTextAsync(Path.Combine(backup, "registry.db"), "tampered", Ct);
            var empty = TempDirectory("restored");
            var tampered = await RegistryCli.RunAsync(empty, "restore", "--from", backup);
            Assert.NotEqual(0, tampered.ExitCode);
            Assert.Contains("does not match its manifest", tampered.StandardError);
            Assert.False(File.Exists(Path.Combine(empty, "registry.db")));
        }
        finally
        {
            if (Directory.Exists(backup))
            {
                Directory.Delete(backup, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Verify_audit_reports_a_tampered_event_with_exit_code_1()
    {
        await using var app = new RegistryApp();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "tamper-target");
        await app.ExecuteSqlAsync("DROP TRIGGER AuditEvents_NoUpdate; UPDATE AuditEvents SET ActorName = 'someone else' WHERE Sequence = 2");

        var result = await RegistryCli.RunAsync(app.DataDirectory, "verify-audit");

        Assert.Equal(1, result.ExitCode);
        var report = JsonDocument.Parse(result.StandardOutput).RootElement;
        Assert.False(report.GetProperty("valid").GetBoolean());
        Assert.Equal(2, report.GetProperty("firstBrokenSequence").GetInt64());
    }

    [Fact]
    public async Task Verify_audit_against_a_kept_head_exits_1_when_the_newest_events_were_removed()
    {
        await using var app = new RegistryApp();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "cut-model");
        var newest = (await app.AuditEventsAsync()).Last();
        await app.ExecuteSqlAsync($"DROP TRIGGER AuditEvents_NoDelete; DELETE FROM AuditEvents WHERE Sequence = {newest.Sequence}");

        var alone = await RegistryCli.RunAsync(app.DataDirectory, "verify-audit");
        var against = await RegistryCli.RunAsync(app.DataDirectory, "verify-audit", "--head", $"{newest.Sequence}:{newest.Hash}");

        Assert.Equal(0, alone.ExitCode);
        Assert.Equal(1, against.ExitCode);
        var report = JsonDocument.Parse(against.StandardOutput).RootElement;
        Assert.False(report.GetProperty("valid").GetBoolean());
        Assert.True(report.GetProperty("truncated").GetBoolean());
        Assert.Equal("missing", report.GetProperty("expectedHead").GetProperty("status").GetString());
        Assert.Contains($"event {newest.Sequence}", against.StandardError);
    }
}
