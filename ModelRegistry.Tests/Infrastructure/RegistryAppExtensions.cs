using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>Intentions over <see cref="RegistryApp"/> that Core and API tests share.</summary>
public static class RegistryAppExtensions
{
    /// <summary>Registers a model through Core as <paramref name="by"/>.</summary>
    public static async Task<ModelInfo> RegisterModelAsync(this RegistryApp app, TestUser by, string name, string? task = null,
        string? description = null, params string[] tags)
    {
        await app.InitializeAsync();
        return await app.Get<ModelService>().CreateAsync(by.Actor, new CreateModel(name, Description: description, Task: task, Tags: tags),
            TestContext.Current.CancellationToken);
    }

    /// <summary>Creates the next version of <paramref name="model"/> through Core as <paramref name="by"/>.</summary>
    public static async Task<VersionInfo> CreateVersionAsync(this RegistryApp app, TestUser by, string model, VersionInput? input = null)
    {
        await app.InitializeAsync();
        return await app.Get<VersionService>().CreateAsync(by.Actor, model, input ?? new VersionInput(),
            TestContext.Current.CancellationToken);
    }

    /// <summary>Uploads <paramref name="bytes"/> as a file of a version through Core as <paramref name="by"/>.</summary>
    public static async Task<UploadResult> UploadAsync(this RegistryApp app, TestUser by, string model, int number, string path,
        byte[] bytes, string? expectedSha256 = null)
    {
        await app.InitializeAsync();
        using var content = new MemoryStream(bytes, writable: false);
        return await app.Get<ArtifactService>().UploadAsync(by.Actor, model, number, path, content,
            new UploadOptions(expectedSha256, bytes.Length), TestContext.Current.CancellationToken);
    }

    /// <summary>Every file in the artifact store (blobs and temporary files), relative to it.</summary>
    public static IReadOnlyList<string> StoreFiles(this RegistryApp app)
    {
        var root = Path.Combine(app.DataDirectory, "artifacts");
        return Directory.Exists(root)
            ? Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(root, f)).Where(f => !f.StartsWith(".health-", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal).ToList()
            : [];
    }

    /// <summary>The audit trail in sequence order, optionally only the events after <paramref name="afterSequence"/>.</summary>
    public static async Task<List<AuditEvent>> AuditEventsAsync(this RegistryApp app, long afterSequence = 0)
    {
        await using var db = await app.DbAsync();
        return await db.AuditEvents.AsNoTracking().Where(e => e.Sequence > afterSequence).OrderBy(e => e.Sequence)
            .ToListAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The sequence number of the newest audit event (0 when there is none).</summary>
    public static async Task<long> LastAuditSequenceAsync(this RegistryApp app)
    {
        await using var db = await app.DbAsync();
        return await db.AuditEvents.MaxAsync(e => (long?)e.Sequence, TestContext.Current.CancellationToken) ?? 0;
    }

    /// <summary>Runs raw SQL against the registry's database, as someone with file access could.</summary>
    public static async Task<int> ExecuteSqlAsync(this RegistryApp app, string sql)
    {
        // Straight to the connection: EF's raw SQL would read the braces of JSON literals as placeholders.
        await using var db = await app.DbAsync();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>
    /// Everything a failed request must leave alone: row counts and the content of every model and version.
    /// Two snapshots are equal only if nothing a user could see has changed.
    /// </summary>
    public static async Task<RegistryState> StateAsync(this RegistryApp app)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = await app.DbAsync();
        var models = await db.Models.AsNoTracking().OrderBy(m => m.Id)
            .Select(m => new { m.Name, m.DisplayName, m.Description, m.Task, m.Owner, m.Tags, m.UpdatedAt, m.LastVersionNumber })
            .ToListAsync(ct);
        var versions = await db.Versions.AsNoTracking().OrderBy(v => v.Id).ToListAsync(ct);
        var content = JsonSerializer.Serialize(new
        {
            models,
            versions = versions.Select(v => VersionService.ToInfo(v.ModelId.ToString(CultureInfo.InvariantCulture), v)),
        });
        return new RegistryState(
            models.Count,
            versions.Count,
            await db.Users.CountAsync(ct),
            await db.UserRoles.CountAsync(ct),
            await db.ApiTokens.CountAsync(ct),
            await db.AuditEvents.CountAsync(ct),
            content);
    }
}

/// <summary>Row counts and content of the registry at one moment (see <see cref="RegistryAppExtensions.StateAsync"/>).</summary>
public sealed record RegistryState(int Models, int Versions, int Users, int UserRoles, int Tokens, int AuditEvents, string Content);

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
