using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>Paging of a model's versions and the stored version count behind lists and totals.</summary>
public sealed class VersionPagingTests : IAsyncLifetime
{
    private readonly RegistryApp _app = new();

    public async ValueTask InitializeAsync() => await _app.InitializeAsync();

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task Pages_of_versions_are_newest_first_with_the_total_at_every_depth()
    {
        var ct = TestContext.Current.CancellationToken;
        await SeedAsync("paged", 7, ct);
        var versions = _app.Get<VersionService>();

        Assert.Equal([[7, 6, 5], [4, 3, 2], [1], []], await PagesAsync(versions, "paged", 4, ct));
        var info = await _app.Get<ModelService>().GetAsync("paged", ct);
        Assert.Equal(7, info.VersionCount);
        Assert.Equal(7, info.LatestVersion);
    }

    [Fact]
    public async Task A_missing_version_number_still_pages_correctly()
    {
        var ct = TestContext.Current.CancellationToken;
        await SeedAsync("gapped", 7, ct);

        // No service removes versions today; one that does keeps the count in step, as done here by hand.
        await using (var db = await _app.DbAsync())
        {
            var id = await db.Models.Where(m => m.Name == "gapped").Select(m => m.Id).SingleAsync(ct);
            await db.Database.ExecuteSqlAsync($"DELETE FROM Versions WHERE ModelId = {id} AND Number = 5", ct);
            await db.Database.ExecuteSqlAsync($"UPDATE Models SET VersionCount = VersionCount - 1 WHERE Id = {id}", ct);
        }

        var versions = _app.Get<VersionService>();
        Assert.Equal([[7, 6, 4], [3, 2, 1], []], await PagesAsync(versions, "gapped", 3, ct));
        Assert.Equal(6, (await versions.ListAsync("gapped", 1, 3, ct)).Total);
        Assert.Equal(6, (await _app.Get<ModelService>().GetAsync("gapped", ct)).VersionCount);
    }

    private async Task SeedAsync(string name, int versions, CancellationToken ct)
    {
        var ds = await _app.CreateUserAsync(Roles.DataScientist);
        await _app.Get<ModelService>().CreateAsync(ds.Actor, new CreateModel(name), ct);
        for (var i = 0; i < versions; i++)
        {
            await _app.Get<VersionService>().CreateAsync(ds.Actor, name, new VersionInput(), ct);
        }
    }

    private static async Task<List<int[]>> PagesAsync(VersionService versions, string name, int pages, CancellationToken ct)
    {
        var result = new List<int[]>();
        for (var page = 1; page <= pages; page++)
        {
            var list = await versions.ListAsync(name, page, 3, ct);
            result.Add(list.Items.Select(v => v.Number).ToArray());
        }

        return result;
    }
}
