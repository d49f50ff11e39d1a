using ModelRegistry.Core.Demo;
using ModelRegistry.Core.Deployments;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>seed-demo's showcase has approvals and deployments, made through the ordinary workflow.</summary>
public sealed class DemoLifecycleTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_showcase_has_a_production_version_an_archived_one_a_pending_request_and_deployments()
    {
        await app.InitializeAsync();
        var summary = await app.Get<DemoSeeder>().SeedShowcaseAsync(Ct);
        Assert.Equal(5, summary.Models);
        var lifecycle = app.Get<LifecycleQueries>();

        Assert.Equal(2, (await lifecycle.FindInStageAsync("support-assistant", Stage.Production, Ct)).Number);
        Assert.Equal(Stage.Archived, await app.StageOfAsync("support-assistant", 1));
        var v3 = await lifecycle.GetVersionLifecycleAsync("support-assistant", 3, Ct);
        Assert.NotNull(v3.OpenRequest);
        Assert.Single(v3.OpenRequest.Comments);
        Assert.Equal(5, (await lifecycle.ListAsync(new TransitionQuery(TransitionStatus.Pending), Ct)).Total);
        var prod = Assert.Single(await app.Get<DeploymentService>().TimelinesAsync("support-assistant", "prod-eu", ct: Ct));
        Assert.Equal([2], prod.Live.Select(d => d.VersionNumber));

        // Seeding again adds nothing twice.
        Assert.Equal(0, (await app.Get<DemoSeeder>().SeedShowcaseAsync(Ct)).Models);
        await using var db = await app.DbAsync();
        Assert.Empty(db.Notifications);
    }
}
