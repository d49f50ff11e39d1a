using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Artifacts.Storage;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Operations;

/// <summary>What a backup holds, written to <c>manifest.json</c> beside it.</summary>
public sealed record BackupManifest(
    int Format,
    DateTimeOffset CreatedAt,
    string DatabaseFile,
    string DatabaseSha256,
    long DatabaseBytes,
    int Blobs,
    long BlobBytes,
    long AuditEvents,
    long AuditHeadSequence,
    string AuditHeadHash);

/// <summary>
/// Online backup and restore of a SQLite data directory: a consistent database snapshot (<c>VACUUM INTO</c>,
/// taken while the server keeps serving), every content-addressed blob of the artifact store (file system or S3)
/// copied and its hash verified, the
/// data-protection keys (which encrypt webhook secrets and sign cookies), the attestation signing key generated in
/// <c>signing/</c> (owner-only, as it was), and a manifest.
/// </summary>
public sealed partial class BackupService(IDbContextFactory<RegistryDbContext> dbFactory, DataDirectory data, IArtifactStore store,
    TimeProvider clock, Microsoft.Extensions.Options.IOptions<RegistryOptions> options)
{
    public const string ManifestFile = "manifest.json";
    private const string DatabaseFile = "registry.db";

    [GeneratedRegex(@"^[0-9a-f]{64}\z")]
    private static partial Regex BlobName();

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Writes a backup into <paramref name="target"/>, which must be empty or not exist.</summary>
    public async Task<BackupManifest> BackupAsync(string target, CancellationToken ct = default)
    {
        RequireSqlite();
        var root = Path.GetFullPath(target);
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            throw new ConflictException($"'{root}' is not empty; back up into a new directory.");
        }

        Directory.CreateDirectory(root);
        var databasePath = Path.Combine(root, DatabaseFile);
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            // One statement, one read transaction: a consistent snapshot while writers carry on.
            await db.Database.ExecuteSqlAsync($"VACUUM INTO {databasePath}", ct);
        }

        // Blobs are written and fsynced before the rows that name them commit, so every blob the snapshot
        // refers to exists now; blobs added since are harmless extras.
        var (blobs, blobBytes) = await BackUpBlobsAsync(Path.Combine(root, "blobs"), ct);
        CopyDirectory(Path.Combine(data.Root, "keys"), Path.Combine(root, "keys"));
        CopyPrivateDirectory(Path.Combine(data.Root, Signing.SigningKeys.DirectoryName), Path.Combine(root, Signing.SigningKeys.DirectoryName));

        var audit = await VerifyAuditAsync(databasePath, ct);
        var manifest = new BackupManifest(1, clock.GetUtcNow(), DatabaseFile, await Sha256FileAsync(databasePath, ct),
            new FileInfo(databasePath).Length, blobs, blobBytes, audit.Events, audit.HeadSequence, audit.HeadHash);
        await File.WriteAllTextAsync(Path.Combine(root, ManifestFile), JsonSerializer.Serialize(manifest, Json), ct);
        return manifest;
    }

    /// <summary>Restores a backup into the configured data directory, which must hold no database yet.</summary>
    public async Task<(BackupManifest Manifest, AuditVerification Audit)> RestoreAsync(string source, CancellationToken ct = default)
    {
        RequireSqlite();
        var root = Path.GetFullPath(source);
        var manifestPath = Path.Combine(root, ManifestFile);
        if (!File.Exists(manifestPath))
        {
            throw new NotFoundException($"'{root}' holds no {ManifestFile}; is it a backup?");
        }

        if (File.Exists(data.DatabasePath))
        {
            throw new ConflictException($"'{data.Root}' already holds a registry; restore into an empty data directory.");
        }

        var manifest = JsonSerializer.Deserialize<BackupManifest>(await File.ReadAllTextAsync(manifestPath, ct), Json)
            ?? throw new ValidationFailedException("The manifest is empty.");
        var backupDatabase = Path.Combine(root, manifest.DatabaseFile);
        if (await Sha256FileAsync(backupDatabase, ct) != manifest.DatabaseSha256)
        {
            throw new ValidationFailedException("The backup's database does not match its manifest: it was changed or damaged.");
        }

        var blobs = await RestoreBlobsAsync(Path.Combine(root, "blobs"), ct);
        if (blobs < manifest.Blobs)
        {
            throw new ValidationFailedException($"The backup lists {manifest.Blobs} blobs but holds {blobs}.");
        }

        CopyDirectory(Path.Combine(root, "keys"), Path.Combine(data.Root, "keys"));
        CopyPrivateDirectory(Path.Combine(root, Signing.SigningKeys.DirectoryName), Path.Combine(data.Root, Signing.SigningKeys.DirectoryName));
        var staging = data.DatabasePath + ".restoring";
        File.Copy(backupDatabase, staging, overwrite: true);
        File.Move(staging, data.DatabasePath);
        SqliteConnection.ClearAllPools();

        var audit = await VerifyAuditAsync(data.DatabasePath, ct);
        return (manifest, audit);
    }

    /// <summary>Backups here are SQLite snapshots; a PostgreSQL registry is backed up with the database's own tools.</summary>
    private void RequireSqlite()
    {
        if (options.Value.Database != DatabaseProvider.Sqlite)
        {
            throw new ConflictException("backup and restore work on a SQLite registry. On PostgreSQL use pg_dump / pg_restore " +
                "for the database and the object store's own versioning or copies for the blobs; see docs/deploy.md.");
        }
    }

    private static async Task<AuditVerification> VerifyAuditAsync(string databasePath, CancellationToken ct)
    {
        await using var db = new RegistryDbContext(new DbContextOptionsBuilder<RegistryDbContext>()
            .UseSqlite($"Data Source={databasePath};Pooling=False").Options);
        return await AuditVerifier.VerifyAsync(db, ct);
    }

    /// <summary>Copies every blob of the store into the backup, checking that its bytes still hash to its name.</summary>
    private async Task<(int Count, long Bytes)> BackUpBlobsAsync(string to, CancellationToken ct)
    {
        var count = 0;
        long bytes = 0;
        await foreach (var name in store.EnumerateBlobsAsync(ct))
        {
            await using var input = await store.OpenReadAsync(name, ct);
            if (input is null)
            {
                continue; // Deleted since it was listed: no row of the snapshot refers to it.
            }

            var destination = Path.Combine(to, name[..2], name[2..4], name);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            var temp = destination + ".copying";
            await using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[1 << 20];
                int read;
                while ((read = await input.ReadAsync(buffer, ct)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await output.WriteAsync(buffer.AsMemory(0, read), ct);
                }

                await output.FlushAsync(ct);
                output.Flush(flushToDisk: true);
                if (Convert.ToHexStringLower(hash.GetHashAndReset()) != name)
                {
                    throw new ValidationFailedException($"Blob {name} does not match its hash: its bytes were changed. Run verify-artifacts.");
                }

                bytes += output.Length;
            }

            File.Move(temp, destination, overwrite: true);
            count++;
        }

        return (count, bytes);
    }

    /// <summary>Puts every blob of a backup into the store, through the same staging and hashing as an upload.</summary>
    private async Task<int> RestoreBlobsAsync(string from, CancellationToken ct)
    {
        if (!Directory.Exists(from))
        {
            return 0;
        }

        var count = 0;
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(file);
            if (!BlobName().IsMatch(name))
            {
                continue;
            }

            await using var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous);
            await using var staged = await store.StageAsync(input, long.MaxValue, input.Length, ct);
            if (staged.Sha256 != name)
            {
                throw new ValidationFailedException($"Blob {name} does not match its hash: its bytes were changed. Run verify-artifacts.");
            }

            using (await store.LockAsync(name, ct))
            {
                await store.PromoteAsync(staged, ct);
            }

            count++;
        }

        return count;
    }

    private static void CopyDirectory(string from, string to)
    {
        if (!Directory.Exists(from))
        {
            return;
        }

        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }
    }

    /// <summary>
    /// Copies a directory of secrets (the attestation signing key): the directory readable by the owner only (0700), each
    /// file 0600, whatever the umask — the private key must not become readable to others on its way through a backup.
    /// </summary>
    private static void CopyPrivateDirectory(string from, string to)
    {
        if (!Directory.Exists(from))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            CopyDirectory(from, to);
            return;
        }

        Directory.CreateDirectory(to, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(to, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            var destination = Path.Combine(to, Path.GetFileName(file));
            File.Copy(file, destination, overwrite: true);
            File.SetUnixFileMode(destination, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private static async Task<string> Sha256FileAsync(string path, CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }
}
