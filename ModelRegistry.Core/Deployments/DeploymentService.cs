using System.Globalization;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Deployments;

/// <summary>Records where versions are deployed (usually CI with a token) and shows it per environment.</summary>
public sealed class DeploymentService(
    IDbContextFactory<RegistryDbContext> dbFactory,
    AccessGuard guard,
    AuditTrail audit,
    TimeProvider clock)
{
    public const int MaxTarget = 500;
    public const int MaxExternalRef = 2000;
    public const int MaxNotes = 4000;
    public const int MaxTimelineEntries = 100;

    /// <summary>
    /// Records a deployment of version <paramref name="number"/>. DataScientist or Admin. Only a version in Staging or
    /// Production can be deployed (a Deployed record of any other version is a 409). Failed, RolledBack and Retired
    /// records may concern any version: a failed attempt is a fact CI must be able to record whatever the version's
    /// stage, and an archived version still has to be taken out of service.
    /// </summary>
    public async Task<DeploymentInfo> RecordAsync(Actor actor, string modelName, int number, DeploymentInput input,
        CancellationToken ct = default)
    {
        var environment = EnvironmentName.Validate(input.Environment);
        if (!Enum.IsDefined(input.Status))
        {
            throw ValidationFailedException.For("status", "status must be one of Deployed, RolledBack, Failed, Retired.");
        }

        var target = Input.Line("target", input.Target, MaxTarget);
        var externalRef = Input.Line("externalRef", input.ExternalRef, MaxExternalRef);
        var notes = Input.Text("notes", input.Notes, MaxNotes);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.RecordDeployment, ct);
        var id = await db.InTransactionAsync(async () =>
        {
            var version = await db.RequireVersionAsync(modelName, number, track: true, ct);
            await guard.DemandModelWriteAsync(db, actor, version.Model.OwnerTeamId, ct);
            if (input.Status is DeploymentStatus.Deployed && version.Stage is not (Stage.Staging or Stage.Production))
            {
                throw new ConflictException(
                    $"Only Staging or Production versions can be deployed; version {number} of '{modelName}' is {StageText(version.Stage)}.");
            }

            var deployment = new Deployment(version, environment, input.Status, target, externalRef, notes.Length == 0 ? null : notes,
                actor.UserId, actor.DisplayName, clock.GetUtcNow());
            db.Deployments.Add(deployment);
            await db.SaveChangesAsync(ct);
            await audit.RecordAsync(db, actor, AuditActions.DeploymentRecorded, AuditEntities.Deployment,
                deployment.Id.ToString(CultureInfo.InvariantCulture), modelName, new
                {
                    version = $"{modelName}/{number}",
                    stage = version.Stage.ToString(),
                    environment,
                    status = input.Status.ToString(),
                    target,
                    externalRef,
                    notes = deployment.Notes,
                    digest = deployment.Digest,
                }, ct);
            return deployment.Id;
        }, ct);

        return await GetAsync(id, ct);
    }

    /// <summary>One deployment record; 404 when unknown.</summary>
    public async Task<DeploymentInfo> GetAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await Project(db.Deployments.AsNoTracking().Where(d => d.Id == id)).SingleOrDefaultAsync(ct)
            ?? throw new NotFoundException($"There is no deployment {id}.");
    }

    /// <summary>A page of deployment records, newest first, optionally of one environment, model or version.</summary>
    public async Task<PagedResult<DeploymentInfo>> ListAsync(DeploymentQuery query, CancellationToken ct = default)
    {
        var paging = PageRequest.From(query.Page, query.PageSize);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var records = Filter(db.Deployments.AsNoTracking(), query);
        var total = await records.CountAsync(ct);
        var items = await Project(records.OrderByDescending(d => d.Id).Skip(paging.Skip).Take(paging.PageSize)).ToListAsync(ct);
        return new PagedResult<DeploymentInfo>(items, total);
    }

    /// <summary>
    /// Per environment (most recently changed first): what is live there now and its newest
    /// <paramref name="recent"/> records, optionally only of one model or environment.
    /// </summary>
    public async Task<IReadOnlyList<EnvironmentTimeline>> TimelinesAsync(string? model = null, string? environment = null,
        int recent = 10, CancellationToken ct = default)
    {
        recent = Math.Clamp(recent, 1, MaxTimelineEntries);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var records = Filter(db.Deployments.AsNoTracking(), new DeploymentQuery(environment, model));
        var environments = await records.GroupBy(d => d.Environment)
            .Select(g => new { Environment = g.Key, Total = g.Count(), LastId = g.Max(d => d.Id) })
            .OrderByDescending(g => g.LastId)
            .Take(50)
            .ToListAsync(ct);

        var timelines = new List<EnvironmentTimeline>();
        foreach (var env in environments)
        {
            var inEnvironment = records.Where(d => d.Environment == env.Environment);
            var newest = await Project(inEnvironment.OrderByDescending(d => d.Id).Take(recent)).ToListAsync(ct);
            // Live: per model, its newest Deployed record — unless that version was later rolled back, retired or failed.
            // A newer Deployed version of the same model supersedes an older one; a failed attempt leaves the old one live.
            var newestDeployedPerModel = inEnvironment.Where(d => d.Status == DeploymentStatus.Deployed)
                .GroupBy(d => d.Version.ModelId).Select(g => g.Max(d => d.Id));
            var newestPerVersion = inEnvironment.GroupBy(d => d.VersionId).Select(g => g.Max(d => d.Id));
            var live = await Project(db.Deployments.AsNoTracking()
                    .Where(d => newestDeployedPerModel.Contains(d.Id) && newestPerVersion.Contains(d.Id))
                    .OrderBy(d => d.Version.Model.Name))
                .ToListAsync(ct);
            timelines.Add(new EnvironmentTimeline(env.Environment, env.Total, newest[0].DeployedAt, live, newest));
        }

        return timelines;
    }

    private static IQueryable<Deployment> Filter(IQueryable<Deployment> records, DeploymentQuery query)
    {
        if (Input.Line("environment", query.Environment, 50) is { } environment)
        {
            records = records.Where(d => d.Environment == environment);
        }

        if (Input.Line("model", query.Model, 100) is { } model)
        {
            records = records.Where(d => d.Version.Model.Name == model);
        }

        if (query.Version is { } number)
        {
            records = records.Where(d => d.Version.Number == number);
        }

        return records;
    }

    private static IQueryable<DeploymentInfo> Project(IQueryable<Deployment> records) =>
        records.Select(d => new DeploymentInfo(d.Id, d.Version.Model.Name, d.Version.Number, d.Version.Stage, d.Environment, d.Status,
            d.Target, d.ExternalRef, d.Notes, d.DeployedBy, d.DeployedAt, d.Digest));

    private static string StageText(Stage stage) => stage == Stage.None ? "in no stage" : $"in {stage}";
}
