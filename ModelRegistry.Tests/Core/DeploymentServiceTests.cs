using System.Globalization;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Deployments;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;
using static ModelRegistry.Tests.Infrastructure.LifecycleAppExtensions;

namespace ModelRegistry.Tests.Core;

/// <summary>Deployment records: who may record them, which versions may be deployed, and the per-environment view.</summary>
public sealed class DeploymentServiceTests(RegistryApp app) : DeploymentServiceTestsCases<RegistryApp>(app);

/// <summary>The same cases on PostgreSQL.</summary>
public sealed class DeploymentServiceTestsOnPostgres(PostgresRegistryApp app) : DeploymentServiceTestsCases<PostgresRegistryApp>(app);

public abstract class DeploymentServiceTestsCases<TApp>(TApp app) : IClassFixture<TApp> where TApp : RegistryApp
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private DeploymentService Deployments => app.Get<DeploymentService>();

    private async Task<(TestUser Ds, TestUser Reviewer, string Model)> SetupAsync(string prefix, int versions = 1)
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        var model = Unique(prefix);
        await app.ModelWithVersionsAsync(ds, model, versions);
        return (ds, reviewer, model);
    }

    [Fact]
    public async Task A_staging_version_deployment_is_recorded_and_audited()
    {
        var (ds, reviewer, model) = await SetupAsync("dep-record");
        await app.PromoteAsync(ds, reviewer, model, 1, Stage.Staging);
        var before = await app.LastAuditSequenceAsync();

        var recorded = await Deployments.RecordAsync(ds.Actor, model, 1, new DeploymentInput("staging-eu", DeploymentStatus.Deployed,
            "https://llm.staging.example.com/v1", "https://ci.example.com/pipelines/4711", "Canary at 5 %."), Ct);

        Assert.Equal((model, 1, Stage.Staging, "staging-eu", DeploymentStatus.Deployed), (recorded.ModelName, recorded.VersionNumber,
            recorded.VersionStage, recorded.Environment, recorded.Status));
        Assert.Equal(("https://llm.staging.example.com/v1", "https://ci.example.com/pipelines/4711", "Canary at 5 %.", ds.Email),
            (recorded.Target, recorded.ExternalRef, recorded.Notes, recorded.DeployedBy));
        Assert.Equal(recorded, await Deployments.GetAsync(recorded.Id, Ct));
        var e = Assert.Single(await app.AuditEventsAsync(before));
        Assert.Equal((AuditActions.DeploymentRecorded, AuditEntities.Deployment, recorded.Id.ToString(CultureInfo.InvariantCulture), model),
            (e.Action, e.EntityType, e.EntityId, e.ModelName));
        Assert.Contains("\"environment\":\"staging-eu\"", e.Data);
    }

    [Fact]
    public async Task Only_staging_or_production_versions_can_be_deployed()
    {
        const DeploymentStatus status = DeploymentStatus.Deployed;
        var (ds, reviewer, model) = await SetupAsync("dep-stage", versions: 3);
        await app.PromoteAsync(ds, reviewer, model, 2, Stage.Production);
        await app.PromoteAsync(ds, reviewer, model, 3, Stage.Production); // v2 → Archived
        var before = await app.LastAuditSequenceAsync();

        var none = await Assert.ThrowsAsync<ConflictException>(() =>
            Deployments.RecordAsync(ds.Actor, model, 1, new DeploymentInput("prod-eu", status), Ct));
        var archived = await Assert.ThrowsAsync<ConflictException>(() =>
            Deployments.RecordAsync(ds.Actor, model, 2, new DeploymentInput("prod-eu", status), Ct));

        Assert.Contains("in no stage", none.Message);
        Assert.Contains("in Archived", archived.Message);
        Assert.Empty(await app.AuditEventsAsync(before));
        Assert.Equal(0, (await Deployments.ListAsync(new DeploymentQuery(Model: model), Ct)).Total);
    }

    [Fact]
    public async Task A_failed_attempt_is_recorded_for_a_version_in_any_stage()
    {
        var (ds, reviewer, model) = await SetupAsync("dep-failed", versions: 3);
        await app.PromoteAsync(ds, reviewer, model, 2, Stage.Production);
        await app.PromoteAsync(ds, reviewer, model, 3, Stage.Production); // v2 → Archived
        var before = await app.LastAuditSequenceAsync();

        var none = await Deployments.RecordAsync(ds.Actor, model, 1, new DeploymentInput("prod-eu", DeploymentStatus.Failed,
            ExternalRef: "https://ci.example.com/pipelines/1"), Ct);
        var archived = await Deployments.RecordAsync(ds.Actor, model, 2, new DeploymentInput("prod-eu", DeploymentStatus.Failed), Ct);

        Assert.Equal((Stage.None, DeploymentStatus.Failed), (none.VersionStage, none.Status));
        Assert.Equal((Stage.Archived, DeploymentStatus.Failed), (archived.VersionStage, archived.Status));
        Assert.Equal(2, (await app.AuditEventsAsync(before)).Count(e => e.Action == AuditActions.DeploymentRecorded));
        Assert.Equal(2, (await Deployments.ListAsync(new DeploymentQuery(Model: model), Ct)).Total);
    }

    [Theory]
    [InlineData(DeploymentStatus.Retired)]
    [InlineData(DeploymentStatus.RolledBack)]
    public async Task An_archived_version_can_still_be_taken_out_of_service(DeploymentStatus status)
    {
        var (ds, reviewer, model) = await SetupAsync("dep-retire", versions: 2);
        await app.PromoteAsync(ds, reviewer, model, 1, Stage.Production);
        await Deployments.RecordAsync(ds.Actor, model, 1, new DeploymentInput("prod-eu"), Ct);
        await app.PromoteAsync(ds, reviewer, model, 2, Stage.Production);

        var retired = await Deployments.RecordAsync(ds.Actor, model, 1, new DeploymentInput("prod-eu", status), Ct);

        Assert.Equal((status, Stage.Archived), (retired.Status, retired.VersionStage));
    }

    [Theory]
    [InlineData(Roles.Viewer)]
    [InlineData(Roles.Reviewer)]
    [InlineData(Roles.Auditor)]
    public async Task Only_data_scientists_and_admins_record_deployments(string role)
    {
        var (ds, reviewer, model) = await SetupAsync("dep-roles");
        await app.PromoteAsync(ds, reviewer, model, 1, Stage.Staging);
        var user = await app.CreateUserAsync(role == Roles.Viewer ? [] : [role]);

        await Assert.ThrowsAsync<ForbiddenException>(() => Deployments.RecordAsync(user.Actor, model, 1, new DeploymentInput("staging"), Ct));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Prod-EU")]
    [InlineData("prod eu")]
    [InlineData("-prod")]
    [InlineData("prod/eu")]
    [InlineData("a-very-long-environment-name-that-goes-on-and-on-and-on")]
    public async Task Environment_must_be_a_short_lowercase_slug(string? environment)
    {
        var (ds, reviewer, model) = await SetupAsync("dep-slug");
        await app.PromoteAsync(ds, reviewer, model, 1, Stage.Staging);

        var e = await Assert.ThrowsAsync<ValidationFailedException>(() =>
            Deployments.RecordAsync(ds.Actor, model, 1, new DeploymentInput(environment), Ct));

        Assert.Contains("environment", e.Errors.Keys);
    }

    [Fact]
    public async Task Unknown_status_models_and_versions_are_refused()
    {
        var (ds, reviewer, model) = await SetupAsync("dep-unknown");
        await app.PromoteAsync(ds, reviewer, model, 1, Stage.Staging);

        await Assert.ThrowsAsync<ValidationFailedException>(() =>
            Deployments.RecordAsync(ds.Actor, model, 1, new DeploymentInput("staging", (DeploymentStatus)9), Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => Deployments.RecordAsync(ds.Actor, model, 2, new DeploymentInput("staging"), Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => Deployments.RecordAsync(ds.Actor, "no-such-model", 1, new DeploymentInput("staging"), Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => Deployments.GetAsync(123_456, Ct));
    }

    [Fact]
    public async Task Timelines_show_per_environment_what_is_live_and_what_happened()
    {
        var (ds, reviewer, model) = await SetupAsync("dep-timeline", versions: 2);
        var other = Unique("dep-other");
        await app.ModelWithVersionsAsync(ds, other, 1);
        await app.PromoteAsync(ds, reviewer, model, 1, Stage.Production);
        await app.PromoteAsync(ds, reviewer, other, 1, Stage.Staging);
        var env = Unique("tl");

        await Deployments.RecordAsync(ds.Actor, model, 1, new DeploymentInput(env), Ct);
        await Deployments.RecordAsync(ds.Actor, other, 1, new DeploymentInput(env), Ct);
        await app.PromoteAsync(ds, reviewer, model, 2, Stage.Production);
        await Deployments.RecordAsync(ds.Actor, model, 2, new DeploymentInput(env), Ct);
        await Deployments.RecordAsync(ds.Actor, other, 1, new DeploymentInput(env, DeploymentStatus.RolledBack), Ct);
        await Deployments.RecordAsync(ds.Actor, model, 1, new DeploymentInput(env, DeploymentStatus.Retired), Ct);
        await Deployments.RecordAsync(ds.Actor, model, 2, new DeploymentInput($"{env}-b"), Ct);

        var timelines = await Deployments.TimelinesAsync(environment: env, ct: Ct);
        var timeline = Assert.Single(timelines);
        Assert.Equal(5, timeline.Total);
        Assert.Equal([(model, 1), (other, 1), (model, 2), (other, 1), (model, 1)], timeline.Recent.Select(d => (d.ModelName, d.VersionNumber)));
        // The other model was rolled back; version 2 superseded version 1, whose retirement leaves version 2 live.
        Assert.Equal([(model, 2)], timeline.Live.Select(d => (d.ModelName, d.VersionNumber)));

        var ofModel = await Deployments.TimelinesAsync(model: model, ct: Ct);
        Assert.Equal([$"{env}-b", env], ofModel.Select(t => t.Environment));
        Assert.Equal(3, ofModel[1].Total);

        var listed = await Deployments.ListAsync(new DeploymentQuery(Environment: env, Model: model), Ct);
        Assert.Equal(3, listed.Total);
        var ofVersion = await Deployments.ListAsync(new DeploymentQuery(Model: model, Version: 2), Ct);
        Assert.Equal(2, ofVersion.Total);
    }

    [Fact]
    public async Task A_failed_deployment_leaves_the_previous_version_live()
    {
        var (ds, reviewer, model) = await SetupAsync("dep-failed", versions: 2);
        await app.PromoteAsync(ds, reviewer, model, 1, Stage.Production);
        await app.PromoteAsync(ds, reviewer, model, 2, Stage.Staging);
        var env = Unique("fl");
        await Deployments.RecordAsync(ds.Actor, model, 1, new DeploymentInput(env), Ct);

        await Deployments.RecordAsync(ds.Actor, model, 2, new DeploymentInput(env, DeploymentStatus.Failed), Ct);
        Assert.Equal([1], (await Deployments.TimelinesAsync(environment: env, ct: Ct))[0].Live.Select(d => d.VersionNumber));

        await Deployments.RecordAsync(ds.Actor, model, 2, new DeploymentInput(env), Ct);
        Assert.Equal([2], (await Deployments.TimelinesAsync(environment: env, ct: Ct))[0].Live.Select(d => d.VersionNumber));

        await Deployments.RecordAsync(ds.Actor, model, 2, new DeploymentInput(env, DeploymentStatus.RolledBack), Ct);
        Assert.Empty((await Deployments.TimelinesAsync(environment: env, ct: Ct))[0].Live);
    }
}
