using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>
/// An installation upgraded to frozen versions: what was approved before the upgrade is frozen from that approval,
/// and every version gets the digest the registry would have computed, on SQLite and on PostgreSQL.
/// </summary>
public abstract class FrozenVersionsMigrationCases<TApp>(TApp app, string previousMigration) where TApp : RegistryApp
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Approved_versions_are_frozen_and_every_digest_is_back_filled()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        var model = LifecycleAppExtensions.Unique("upgrade");
        await app.ModelWithVersionsAsync(ds, model, 3);
        await app.UploadAsync(ds, model, 1, "weights.bin", [1, 2, 3]);
        await app.UploadAsync(ds, model, 2, "weights.bin", [4, 5, 6]);
        var approved = await app.PromoteAsync(ds, reviewer, model, 1, Stage.Staging);
        var rejected = await app.RequestAsync(ds, model, 2, Stage.Staging);
        await app.Lifecycle().RejectAsync(reviewer.Actor, rejected.Id, "Not yet.", Ct);
        var versions = app.Get<VersionService>();
        var expected = await Task.WhenAll(Enumerable.Range(1, 3).Select(n => versions.GetAsync(model, n, Ct)));

        await using (var db = await app.DbAsync())
        {
            var migrator = db.GetService<IMigrator>();
            await migrator.MigrateAsync(previousMigration, cancellationToken: Ct);
            await migrator.MigrateAsync(cancellationToken: Ct);
            Assert.All(await db.Versions.Where(v => v.Model.Name == model).ToListAsync(Ct), v => Assert.Equal("", v.Digest));

            Assert.True(await DigestBackfill.FillMissingAsync(db, Ct) >= 3);
        }

        var after = await Task.WhenAll(Enumerable.Range(1, 3).Select(n => versions.GetAsync(model, n, Ct)));
        Assert.Equal(expected.Select(v => v.Digest), after.Select(v => v.Digest));
        Assert.Equal(expected[0].FrozenAt, after[0].FrozenAt);
        Assert.Equal(approved.Id, after[0].FrozenByRequestId);
        Assert.Equal([true, false, false], after.Select(v => v.Frozen));
        await Assert.ThrowsAsync<ModelRegistry.Core.Common.VersionFrozenException>(() =>
            app.UploadAsync(ds, model, 1, "weights.bin", [7]));
    }
}

public sealed class FrozenVersionsMigrationTestsOnSqlite(RegistryApp app)
    : FrozenVersionsMigrationCases<RegistryApp>(app, "20261204171946_AuditNoReplace"), IClassFixture<RegistryApp>;

public sealed class FrozenVersionsMigrationTestsOnPostgres(PostgresRegistryApp app)
    : FrozenVersionsMigrationCases<PostgresRegistryApp>(app, "20261128024000_AuditEventTextSearch"), IClassFixture<PostgresRegistryApp>;
