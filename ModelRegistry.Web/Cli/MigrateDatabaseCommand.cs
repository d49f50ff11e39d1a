using System.CommandLine;
using System.Text.Json;
using ModelRegistry.Core.Operations;

namespace ModelRegistry.Web.Cli;

/// <summary>
/// <c>migrate-database --to-postgres "&lt;connection string&gt;" [--artifacts-to s3|DIR]</c>: copies this (SQLite)
/// registry into a new PostgreSQL database, then verifies row counts and the audit chain there.
/// </summary>
internal static class MigrateDatabaseCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Command Create(Func<Func<IServiceProvider, Task<int>>, Task<int>> withServices)
    {
        var to = new Option<string>("--to-postgres")
        {
            Description = "The PostgreSQL connection string of the new, empty database, e.g. \"Host=db;Database=registry;Username=registry;Password=…\"",
            Required = true,
        };
        var artifactsTo = new Option<string?>("--artifacts-to")
        {
            Description = "Where the blobs go: \"s3\" for the bucket of Registry:Artifacts:S3:*, or a data directory for a file-system store " +
                "(default: keep them where they are, re-hashing each)",
        };
        var command = new Command("migrate-database",
            "Copy this SQLite registry (rows, ids, audit chain, keys, blobs) into an empty PostgreSQL database and verify it") { to, artifactsTo };
        command.SetAction((result, ct) => withServices(async services =>
        {
            var report = await services.GetRequiredService<DatabaseMigrator>()
                .MigrateToPostgresAsync(result.GetValue(to)!, result.GetValue(artifactsTo), ct);
            foreach (var table in report.Tables)
            {
                await Console.Error.WriteLineAsync($"{table.Table,-28} {table.Source,10:N0} → {table.Target,10:N0}{(table.Source == table.Target ? "" : "  MISMATCH")}");
            }

            await Console.Error.WriteLineAsync($"{report.Blobs} blobs ({report.BlobBytes:N0} bytes) verified, {report.Keys} data-protection keys copied.");
            Console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                verified = report.Verified,
                tables = report.Tables.ToDictionary(t => t.Table, t => t.Target),
                blobs = report.Blobs,
                auditEvents = report.TargetAudit.Events,
                auditValid = report.TargetAudit.Valid,
                headSequence = report.TargetAudit.HeadSequence,
                headHash = report.TargetAudit.HeadHash,
            }, Json));
            if (!report.Verified)
            {
                await Console.Error.WriteLineAsync("error: the copy does not match the source (see above); do not switch over.");
                return 1;
            }

            await Console.Error.WriteLineAsync("Done. Switch the registry over with Registry:Database = Postgres and ConnectionStrings:Registry (docs/deploy.md).");
            return 0;
        }));
        return command;
    }
}
