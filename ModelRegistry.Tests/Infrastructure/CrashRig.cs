using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>
/// One data directory served by a real registry process that a fault test kills with SIGKILL and starts again, over
/// and over. Seeds the users and tokens the workloads act as, and checks, after every restart, what must hold
/// whatever the moment of the kill: no temporary upload file left, every artifact row's blob present and hashing to
/// its name (and no blob without a row), and a valid audit chain.
/// </summary>
public sealed class CrashRig : IAsyncDisposable
{
    private readonly HashSet<string> _verifiedBlobs = new(StringComparer.Ordinal);

    private CrashRig(string dataDirectory, int seed)
    {
        DataDirectory = dataDirectory;
        Seed = seed;
        Random = new Random(seed);
        var settings = new Dictionary<string, string?>(RegistryApp.PolicyWithoutContentGates)
        {
            ["Registry:RateLimits:ApiPerMinute"] = "1000000",
            ["Registry:RateLimits:AnonymousApiPerMinute"] = "1000000",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        };
        Server = new RegistryServer(dataDirectory, settings);
    }

    public string DataDirectory { get; }

    /// <summary>The seed of <see cref="Random"/>, in failure messages so a run can be repeated.</summary>
    public int Seed { get; }

    public Random Random { get; }
    public RegistryServer Server { get; }
    public string DataScientistToken { get; private set; } = "";
    public string ReviewerToken { get; private set; } = "";
    public string AuditorToken { get; private set; } = "";

    /// <summary>A fresh data directory with a DataScientist, a Reviewer and an Auditor, and <paramref name="models"/> registered.</summary>
    public static async Task<CrashRig> CreateAsync(string name, params string[] models)
    {
        var seed = Environment.TickCount;
        var rig = new CrashRig(Path.Combine(Path.GetTempPath(), "mr-tests", $"crash-{name}-{Guid.NewGuid():N}"), seed);
        await using var app = new RegistryApp { DataDirectory = rig.DataDirectory, KeepDataDirectory = true };
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        var auditor = await app.CreateUserAsync(Roles.Auditor);
        var tokens = app.Get<TokenService>();
        rig.DataScientistToken = (await tokens.CreateAsync(Actor.CommandLine, ds.Id, "crash", null)).Token;
        rig.ReviewerToken = (await tokens.CreateAsync(Actor.CommandLine, reviewer.Id, "crash", null)).Token;
        rig.AuditorToken = (await tokens.CreateAsync(Actor.CommandLine, auditor.Id, "crash", null)).Token;
        foreach (var model in models)
        {
            await app.RegisterModelAsync(ds, model);
            await app.CreateVersionAsync(ds, model);
        }

        return rig;
    }

    public Task StartAsync() => Server.StartAsync(TestContext.Current.CancellationToken);

    /// <summary>Waits a random moment between <paramref name="minMs"/> and <paramref name="maxMs"/>, then kills the server.</summary>
    public async Task<int> KillAtRandomMomentAsync(int minMs, int maxMs)
    {
        var delay = Random.Next(minMs, maxMs);
        await Task.Delay(delay, TestContext.Current.CancellationToken);
        Server.Kill();
        return delay;
    }

    /// <summary>The database as the server left it, read directly (no pooled connection stays open).</summary>
    public RegistryDbContext Db() => new(new DbContextOptionsBuilder<RegistryDbContext>()
        .UseSqlite($"Data Source={Path.Combine(DataDirectory, "registry.db")};Pooling=False")
        .Options);

    /// <summary>What must hold after any crash, checked on the restarted server.</summary>
    public async Task AssertStoreAndAuditAsync(string when)
    {
        var ct = TestContext.Current.CancellationToken;
        var tmp = Path.Combine(DataDirectory, "artifacts", "tmp");
        Assert.True(!Directory.Exists(tmp) || !Directory.EnumerateFileSystemEntries(tmp).Any(),
            $"{when}: temporary upload files survived the restart: {string.Join(", ", Directory.EnumerateFiles(tmp).Select(Path.GetFileName))}");

        var blobsRoot = Path.Combine(DataDirectory, "artifacts", "blobs");
        var blobs = Directory.Exists(blobsRoot)
            ? Directory.EnumerateFiles(blobsRoot, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetFileName(f), f => f)
            : [];
        await using (var db = Db())
        {
            var rows = await db.Artifacts.AsNoTracking().Select(a => new { a.Path, a.Sha256, a.Size }).ToListAsync(ct);
            foreach (var row in rows)
            {
                Assert.True(blobs.TryGetValue(row.Sha256, out var file), $"{when}: the artifact row {row.Path} has no blob {row.Sha256}");
                Assert.Equal(row.Size, new FileInfo(file).Length);
            }

            var referenced = rows.Select(r => r.Sha256).ToHashSet(StringComparer.Ordinal);
            var strays = blobs.Keys.Where(b => !referenced.Contains(b)).ToList();
            Assert.True(strays.Count == 0, $"{when}: blobs no artifact refers to: {string.Join(", ", strays)}");
        }

        foreach (var (name, file) in blobs)
        {
            if (_verifiedBlobs.Contains(name))
            {
                continue; // Blobs are never rewritten in place; one verified before stays verified.
            }

            await using var stream = File.OpenRead(file);
            var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
            Assert.True(actual == name, $"{when}: the blob {name} holds bytes hashing to {actual}");
            _verifiedBlobs.Add(name);
        }

        using var auditor = Server.ClientFor(AuditorToken);
        var verify = await auditor.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify", ct);
        Assert.True(verify.GetProperty("valid").GetBoolean(), $"{when}: the audit chain is broken: {verify}");
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean from the temp directory.
        }
    }
}
