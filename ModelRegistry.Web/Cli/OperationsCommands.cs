using System.CommandLine;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Operations;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Web.Cli;

/// <summary>backup, restore and verify-audit: the operator's safety net.</summary>
internal static class OperationsCommands
{
    public static Command Backup(Func<Func<IServiceProvider, Task<int>>, Task<int>> withServices)
    {
        var to = new Option<string>("--to") { Description = "A new, empty directory for the backup", Required = true };
        var command = new Command("backup", "Online backup: database snapshot, verified blobs, keys and a manifest (safe while serving)") { to };
        command.SetAction((result, ct) => withServices(async services =>
        {
            var manifest = await services.GetRequiredService<BackupService>().BackupAsync(result.GetValue(to)!, ct);
            await Console.Error.WriteLineAsync(
                $"Backed up the database ({manifest.DatabaseBytes:N0} bytes), {manifest.Blobs} blobs ({manifest.BlobBytes:N0} bytes) " +
                $"and {manifest.AuditEvents} audit events (head {manifest.AuditHeadSequence}: {manifest.AuditHeadHash}).");
            Console.Out.WriteLine(Path.GetFullPath(result.GetValue(to)!));
            return 0;
        }));
        return command;
    }

    public static Command Restore(Func<Func<IServiceProvider, Task<int>>, Task<int>> withServices)
    {
        var from = new Option<string>("--from") { Description = "A directory written by backup", Required = true };
        var command = new Command("restore", "Restore a backup into an empty data directory, then verify the audit chain") { from };
        command.SetAction((result, ct) => withServices(async services =>
        {
            var (manifest, audit) = await services.GetRequiredService<BackupService>().RestoreAsync(result.GetValue(from)!, ct);
            var data = services.GetRequiredService<DataDirectory>();
            await Console.Error.WriteLineAsync($"Restored the backup of {manifest.CreatedAt:u} into {data.Root}.");
            return Report(audit, manifest.AuditHeadHash, services.GetRequiredService<TimeProvider>().GetUtcNow());
        }));
        return command;
    }

    public static Command VerifyAudit(Func<Func<IServiceProvider, Task<int>>, Task<int>> withServices)
    {
        var head = new Option<string>("--head")
        {
            Description = "A chain head kept from an earlier verification (SEQUENCE:HASH); exit 1 unless the log still holds it",
        };
        var command = new Command("verify-audit", "Recompute the audit trail's hash chain; exit 1 when it is broken") { head };
        command.SetAction((result, ct) => withServices(async services =>
        {
            var expected = result.GetValue(head) is { } text ? AuditHead.Parse("--head", text) : null;
            await using var db = await services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<RegistryDbContext>>()
                .CreateDbContextAsync(ct);
            return Report(await AuditVerifier.VerifyAsync(db, expected, ct), manifestHeadHash: null,
                services.GetRequiredService<TimeProvider>().GetUtcNow());
        }));
        return command;
    }

    private static int Report(AuditVerification audit, string? manifestHeadHash, DateTimeOffset checkedAt)
    {
        Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(Api.AuditVerifyReport.From(audit, checkedAt),
            System.Text.Json.JsonSerializerOptions.Web));
        if (audit.FirstBrokenSequence is { } broken)
        {
            Console.Error.WriteLine($"The audit chain is broken at event {broken}.");
            return 1;
        }

        if (audit.Expected is { Status: not ExpectedHeadStatus.Present } check)
        {
            Console.Error.WriteLine(check.Status == ExpectedHeadStatus.Missing
                ? $"The log ends at event {audit.HeadSequence}, before the kept head, event {check.Head.Sequence}: its newest events were removed."
                : $"Event {check.Head.Sequence} is not the one the kept head names: the log was rewritten up to it, or cut and written on.");
            return 1;
        }

        if (manifestHeadHash is not null && manifestHeadHash != audit.HeadHash)
        {
            Console.Error.WriteLine("The restored chain head differs from the one in the manifest.");
            return 1;
        }

        return 0;
    }
}
