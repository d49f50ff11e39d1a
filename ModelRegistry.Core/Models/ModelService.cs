using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Models;

/// <summary>Registers, finds and describes models.</summary>
public sealed class ModelService(
    IDbContextFactory<RegistryDbContext> dbFactory,
    AccessGuard guard,
    AuditTrail audit,
    TimeProvider clock)
{
    public const int MaxDisplayName = 200;
    public const int MaxDescription = 10_000;
    public const int MaxTask = 100;
    public const int MaxOwner = 200;

    /// <summary>Values listed at most per facet.</summary>
    public const int MaxFacetValues = 50;

    /// <summary>A page of models matching <paramref name="query"/>; filtering, sorting and paging run in the database.</summary>
    public async Task<PagedResult<ModelInfo>> ListAsync(ModelQuery query, CancellationToken ct = default)
    {
        var paging = PageRequest.From(query.Page, query.PageSize);
        var filter = ModelFilter.From(query);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var models = filter.Apply(db, db.Models.AsNoTracking());

        var total = await models.CountAsync(ct);
        // The page's rows are chosen first and only they are projected: PostgreSQL would otherwise compute each
        // model's latest and Production version for every row skipped by OFFSET, growing with the page number.
        var page = Order(db, models, query).Skip(paging.Skip).Take(paging.PageSize).Select(m => m.Id);
        var items = await Project(db, Order(db, db.Models.AsNoTracking().Where(m => page.Contains(m.Id)), query)).ToListAsync(ct);
        return new PagedResult<ModelInfo>(items, total);
    }

    /// <summary>
    /// The facets of <paramref name="query"/> with counts (<see cref="ModelFacet"/>), computed in the database over the
    /// models the viewer may see: the visibility query filter applies to every count, so a Restricted model is never
    /// counted for someone outside its team. Paging and sort are ignored.
    /// </summary>
    public async Task<IReadOnlyList<ModelFacet>> FacetsAsync(ModelQuery query, CancellationToken ct = default)
    {
        var filter = ModelFilter.From(query);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var facets = new List<ModelFacet>(ModelFacetKeys.All.Count);
        foreach (var key in ModelFacetKeys.All)
        {
            var values = await CountFacetAsync(db, filter, key, ct);
            var more = values.Count > MaxFacetValues;
            facets.Add(new ModelFacet(key, more ? values[..MaxFacetValues] : values, more));
        }

        return facets;
    }

    /// <summary>The values of one facet with their counts, most first (up to one more than <see cref="MaxFacetValues"/>).</summary>
    private static async Task<List<FacetCount>> CountFacetAsync(RegistryDbContext db, ModelFilter filter, string key, CancellationToken ct)
    {
        // Counted with every other filter applied but not its own.
        var models = filter.Apply(db, db.Models.AsNoTracking(), except: key);
        // One value of each model's headline version, looked up per model (not per version: a registry has ~10× more).
        IQueryable<T> Heads<T>(Expression<Func<ModelVersion, T>> field) => models.Select(HeadlineValue(field));

        async Task<List<FacetCount>> Top(IQueryable<Bucket> counts) =>
            (await counts.OrderByDescending(c => c.Count).ThenBy(c => c.Value).Take(MaxFacetValues + 1).ToListAsync(ct))
                .ConvertAll(c => new FacetCount(c.Value, c.Count));

        switch (key)
        {
            case ModelFacetKeys.Stage:
                {
                    // A model counts under every stage one of its versions is in (as the stage filter matches); None is no stage.
                    var counts = new List<FacetCount>();
                    foreach (var stage in new[] { Stage.Staging, Stage.Production, Stage.Archived })
                    {
                        var count = await models.CountAsync(m => m.Versions.Any(v => v.Stage == stage), ct);
                        if (count > 0)
                        {
                            counts.Add(new FacetCount(stage.ToString(), count));
                        }
                    }

                    return counts;
                }

            case ModelFacetKeys.Format:
                return (await Heads(v => (WeightFormat?)v.Metadata.Format).Where(f => f != null && f != WeightFormat.Unknown)
                        .GroupBy(f => f!.Value).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct))
                    .OrderByDescending(f => f.Count).ThenBy(f => f.Key)
                    .Select(f => new FacetCount(f.Key.ToString().ToLowerInvariant(), f.Count)).ToList();

            default:
                return await Top(key switch
                {
                    ModelFacetKeys.Task => models.Where(m => m.Task != null)
                        .GroupBy(m => m.Task!).Select(g => new Bucket { Value = g.Key, Count = g.Count() }),
                    ModelFacetKeys.Tag => db.ModelTags.Where(t => models.Any(m => m.Id == t.ModelId))
                        .GroupBy(t => t.Tag).Select(g => new Bucket { Value = g.Key, Count = g.Count() }),
                    ModelFacetKeys.Team => models.Where(m => m.OwnerTeamId != null)
                        .GroupBy(m => m.OwnerTeam!.Name).Select(g => new Bucket { Value = g.Key, Count = g.Count() }),
                    ModelFacetKeys.License => Heads(v => v.Metadata.License).Where(l => l != null)
                        .GroupBy(l => l!).Select(g => new Bucket { Value = g.Key, Count = g.Count() }),
                    _ => Heads(v => v.Metadata.BaseModel).Where(b => b != null)
                        .GroupBy(b => b!).Select(g => new Bucket { Value = g.Key, Count = g.Count() }),
                });
        }
    }

    /// <summary>
    /// Each model's headline version: its Production version, or its newest when none is in Production (the same rule
    /// as <see cref="HeadlineValue{T}"/>, for the list's licence and parameter columns and its parameter sort). The model
    /// page shows its card. Every caller restricts the result to models it read through the filtered
    /// <see cref="RegistryDbContext.Models"/>.
    /// </summary>
    internal static IQueryable<ModelVersion> Headline(RegistryDbContext db)
    {
        // Never IgnoreQueryFilters here: it would switch the visibility filter off for the whole query it is composed into.
        var versions = db.Versions.AsNoTracking();
        return versions.Where(v => v.Number == (versions.Where(p => p.ModelId == v.ModelId && p.Stage == Stage.Production)
                .Select(p => (int?)p.Number).FirstOrDefault()
            ?? versions.Where(n => n.ModelId == v.ModelId).Max(n => (int?)n.Number)));
    }

    /// <summary>
    /// <paramref name="field"/> of a model's headline version (as <see cref="Headline"/> chooses it: Production, else the
    /// newest), or the default when the model has no version: a subquery per model that reads only that model's versions.
    /// </summary>
    /// <remarks>
    /// The headline's number is the Production version's (a model has at most one: a unique partial index) or else the
    /// largest: both single-row index lookups on (ModelId, Stage) and (ModelId, Number), where ordering the model's
    /// versions by "is Production, then number" made the database sort every model's versions.
    /// </remarks>
    private static Expression<Func<RegisteredModel, T>> HeadlineValue<T>(Expression<Func<ModelVersion, T>> field) =>
        m => m.Versions.AsQueryable()
            .Where(v => v.Number == (m.Versions.Where(p => p.Stage == Stage.Production).Select(p => (int?)p.Number).FirstOrDefault()
                ?? m.Versions.Max(n => (int?)n.Number)))
            .Select(field).FirstOrDefault()!;

    /// <summary>A facet value and its count as the database groups them (a record's constructor could not be ordered by).</summary>
    private sealed class Bucket
    {
        public string Value { get; init; } = "";
        public int Count { get; init; }
    }

    /// <summary>The validated filters of a <see cref="ModelQuery"/>, applied by the list and (all but one at a time) by the facets.</summary>
    private sealed record ModelFilter(string? Search, string? Tag, string? Task, Stage? Stage, string? License, WeightFormat? Format,
        string? BaseModel, string? Team)
    {
        public static ModelFilter From(ModelQuery query)
        {
            if (query.Format is { } format && !Enum.IsDefined(format))
            {
                throw ValidationFailedException.For("format", "format must be one of " + string.Join(", ", Enum.GetNames<WeightFormat>()) + ".");
            }

            return new(
                Input.Line("search", query.Search, 200),
                Input.Line("tag", query.Tag, Input.MaxTagLength)?.ToLowerInvariant(),
                Input.Line("task", query.Task, MaxTask),
                query.Stage,
                Input.Line("license", query.License, 200),
                query.Format,
                Input.Line("base", query.BaseModel, 300),
                Input.Line("team", query.Team, 100));
        }

        public IQueryable<RegisteredModel> Apply(RegistryDbContext db, IQueryable<RegisteredModel> models, string? except = null)
        {
            if (Search is not null)
            {
                var pattern = Input.LikeContains(Search);
                // Case-insensitive on both providers: SQLite's LIKE ignores (ASCII) case, PostgreSQL's needs ILIKE.
                models = db.Database.IsNpgsql()
                    ? models.Where(m => EF.Functions.ILike(m.Name, pattern, "\\")
                        || EF.Functions.ILike(m.DisplayName, pattern, "\\")
                        || EF.Functions.ILike(m.Description!, pattern, "\\"))
                    : models.Where(m => EF.Functions.Like(m.Name, pattern, "\\")
                        || EF.Functions.Like(m.DisplayName, pattern, "\\")
                        || EF.Functions.Like(m.Description, pattern, "\\"));
            }

            if (Tag is { } tag && except != ModelFacetKeys.Tag)
            {
                models = models.Where(m => m.Tags.Contains(tag));
            }

            if (Task is { } task && except != ModelFacetKeys.Task)
            {
                models = models.Where(m => m.Task == task);
            }

            if (Stage is { } stage && except != ModelFacetKeys.Stage)
            {
                models = models.Where(m => m.Versions.Any(v => v.Stage == stage));
            }

            if (Team is { } team && except != ModelFacetKeys.Team)
            {
                models = models.Where(m => m.OwnerTeam != null && m.OwnerTeam.Name == team);
            }

            if (License is { } license && except != ModelFacetKeys.License)
            {
                models = models.Where(HeadlineValue(v => v.Metadata.License == license));
            }

            if (Format is { } format && except != ModelFacetKeys.Format)
            {
                models = models.Where(HeadlineValue(v => v.Metadata.Format == format));
            }

            if (BaseModel is { } baseModel && except != ModelFacetKeys.BaseModel)
            {
                models = models.Where(HeadlineValue(v => v.Metadata.BaseModel == baseModel));
            }

            return models;
        }
    }

    /// <summary>The model called <paramref name="name"/>; 404 when there is none.</summary>
    public async Task<ModelInfo> GetAsync(string name, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await Project(db, db.Models.AsNoTracking().Where(m => m.Name == name)).SingleOrDefaultAsync(ct)
            ?? throw NotFound(name);
    }

    /// <summary>Distinct tasks in use, for filter pickers.</summary>
    public async Task<IReadOnlyList<string>> ListTasksAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Models.AsNoTracking().Where(m => m.Task != null).Select(m => m.Task!).Distinct()
            .OrderBy(t => t).Take(200).ToListAsync(ct);
    }

    /// <summary>Registers a model. DataScientist or Admin; 409 when the name is taken.</summary>
    public async Task<ModelInfo> CreateAsync(Actor actor, CreateModel input, CancellationToken ct = default)
    {
        var name = ModelName.Validate(input.Name);
        var displayName = Input.Line("displayName", input.DisplayName, MaxDisplayName) ?? name;
        var description = Input.Text("description", input.Description, MaxDescription);
        var task = Input.Line("task", input.Task, MaxTask);
        var tags = Input.Tags("tags", input.Tags);
        var owner = Input.Line("owner", input.Owner, MaxOwner) ?? actor.DisplayName;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.EditModels, ct);
        await db.InTransactionAsync(async () =>
        {
            // Every model counts, seen or not: names are unique across the registry.
            if (await db.Models.IgnoreQueryFilters().AnyAsync(m => m.Name == name, ct))
            {
                throw new ConflictException($"A model named '{name}' already exists.");
            }

            var now = clock.GetUtcNow();
            var model = new RegisteredModel(name, actor.UserId, owner, now)
            {
                DisplayName = displayName,
                Description = description,
                Task = task,
                Tags = tags,
            };
            db.Models.Add(model);
            await audit.RecordAsync(db, actor, AuditActions.ModelCreated, AuditEntities.Model, name, name,
                new { name, displayName, description, task, tags, owner }, ct);
            return model;
        }, ct);

        return await GetAsync(name, ct);
    }

    /// <summary>Changes a model's description. DataScientist or Admin. Records before → after of what changed.</summary>
    public Task<ModelInfo> UpdateAsync(Actor actor, string name, UpdateModel input, CancellationToken ct = default) =>
        UpdateAsync(actor, name, input, expectedUpdatedAt: null, ct);

    /// <summary>
    /// As <see cref="UpdateAsync(Actor, string, UpdateModel, CancellationToken)"/>, but only if the model is still as the
    /// caller read it: its <see cref="ModelInfo.UpdatedAt"/> (which every change of the model or its versions moves)
    /// must equal <paramref name="expectedUpdatedAt"/>, checked inside the write transaction; 409 otherwise, so an
    /// edit made from a stale copy never overwrites another one.
    /// </summary>
    public async Task<ModelInfo> UpdateAsync(Actor actor, string name, UpdateModel input, DateTimeOffset? expectedUpdatedAt,
        CancellationToken ct = default)
    {
        var displayName = input.DisplayName is null ? null : Input.Line("displayName", input.DisplayName, MaxDisplayName) ?? name;
        var description = input.Description is null ? null : Input.Text("description", input.Description, MaxDescription);
        var task = input.Task is null ? null : Input.Line("task", input.Task, MaxTask) ?? "";
        var tags = input.Tags is null ? null : Input.Tags("tags", input.Tags);
        var owner = input.Owner is null ? null : Input.Line("owner", input.Owner, MaxOwner) ?? "";
        var ownerTeam = input.OwnerTeam is null ? null : Input.Line("ownerTeam", input.OwnerTeam, 100) ?? "";
        if (input.Visibility is { } v && !Enum.IsDefined(v))
        {
            throw ValidationFailedException.For("visibility", "visibility must be Internal or Restricted.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.EditModels, ct);
        await db.InTransactionAsync(async () =>
        {
            var model = await db.Models.SingleOrDefaultAsync(m => m.Name == name, ct) ?? throw NotFound(name);
            if (expectedUpdatedAt is { } expected && model.UpdatedAt != expected)
            {
                throw new ConflictException(
                    $"'{name}' was changed at {model.UpdatedAt:O}, after the copy this edit was based on ({expected:O}). Read it again and reapply the edit.");
            }

            await guard.DemandModelWriteAsync(db, actor, model.OwnerTeamId, ct);
            var changes = new Dictionary<string, object?>();
            if (ownerTeam is not null || input.Visibility is not null)
            {
                await ChangeAccessAsync(db, actor, model, ownerTeam, input.Visibility, changes, ct);
            }

            Change(changes, "displayName", model.DisplayName, displayName, v => model.DisplayName = v);
            Change(changes, "description", model.Description, description, v => model.Description = v);
            Change(changes, "task", model.Task ?? "", task, v => model.Task = v.Length == 0 ? null : v);
            Change(changes, "owner", model.Owner, owner, v => model.Owner = v);
            if (tags is not null && !tags.SequenceEqual(model.Tags))
            {
                changes["tags"] = new { before = model.Tags.ToList(), after = tags };
                model.Tags = tags;
            }

            if (changes.Count == 0)
            {
                return false;
            }

            model.Touch(clock.GetUtcNow());
            await audit.RecordAsync(db, actor, AuditActions.ModelUpdated, AuditEntities.Model, name, name, changes, ct);
            return true;
        }, ct);

        return await GetAsync(name, ct);
    }

    /// <summary>
    /// Owner team and visibility: an Admin, or (for a model that has an owner team) a DataScientist member of it, who may
    /// hand the model only to a team they belong to. Restricted needs an owner team (400); an unknown team is 400.
    /// </summary>
    private async Task ChangeAccessAsync(RegistryDbContext db, Actor actor, RegisteredModel model, string? ownerTeam,
        Teams.ModelVisibility? visibility, Dictionary<string, object?> changes, CancellationToken ct)
    {
        var isAdmin = actor.IsSystem || (await guard.CurrentRolesAsync(db, actor.UserId, ct))?.Contains(Roles.Admin) == true;
        if (!isAdmin && model.OwnerTeamId is null)
        {
            throw new ForbiddenException("Only an Admin can give a model without an owner team an owner team or a visibility.");
        }

        var teamId = model.OwnerTeamId;
        var teamName = model.OwnerTeamId is { } current
            ? await db.Teams.Where(t => t.Id == current).Select(t => t.Name).SingleAsync(ct)
            : null;
        var beforeTeam = teamName;
        if (ownerTeam is not null)
        {
            if (ownerTeam.Length == 0)
            {
                (teamId, teamName) = (null, null);
            }
            else
            {
                teamId = await db.Teams.Where(t => t.Name == ownerTeam).Select(t => (long?)t.Id).SingleOrDefaultAsync(ct)
                    ?? throw ValidationFailedException.For("ownerTeam", $"There is no team named '{ownerTeam}'.");
                teamName = ownerTeam;
                if (!isAdmin && !await db.TeamMembers.AnyAsync(m => m.TeamId == teamId && m.UserId == actor.UserId, ct))
                {
                    throw new ForbiddenException($"You can hand a model only to a team you belong to; you are not in '{ownerTeam}'.");
                }
            }
        }

        var newVisibility = visibility ?? model.Visibility;
        if (newVisibility == Teams.ModelVisibility.Restricted && teamId is null)
        {
            throw ValidationFailedException.For("visibility", "A Restricted model needs an owner team: only its members, Auditors and Admins see it.");
        }

        if (teamId != model.OwnerTeamId)
        {
            changes["ownerTeam"] = new { before = beforeTeam, after = teamName };
            model.OwnerTeamId = teamId;
        }

        if (newVisibility != model.Visibility)
        {
            changes["visibility"] = new { before = model.Visibility.ToString(), after = newVisibility.ToString() };
            model.Visibility = newVisibility;
        }
    }

    internal static NotFoundException NotFound(string name) => new($"There is no model named '{name}'.");

    private static void Change(Dictionary<string, object?> changes, string field, string before, string? after, Action<string> set)
    {
        if (after is null || after == before)
        {
            return;
        }

        changes[field] = new { before, after };
        set(after);
    }

    private static IQueryable<RegisteredModel> Order(RegistryDbContext db, IQueryable<RegisteredModel> models, ModelQuery query)
    {
        var heads = Headline(db);
        return (query.Sort, query.Descending) switch
        {
            // Models without a parameter count (or without versions) come last in both directions.
            (ModelSort.Parameters, false) => models
                .OrderBy(m => heads.Where(v => v.ModelId == m.Id).Select(v => v.Metadata.ParameterCount).FirstOrDefault() == null)
                .ThenBy(m => heads.Where(v => v.ModelId == m.Id).Select(v => v.Metadata.ParameterCount).FirstOrDefault())
                .ThenBy(m => m.Name),
            (ModelSort.Parameters, true) => models
                .OrderBy(m => heads.Where(v => v.ModelId == m.Id).Select(v => v.Metadata.ParameterCount).FirstOrDefault() == null)
                .ThenByDescending(m => heads.Where(v => v.ModelId == m.Id).Select(v => v.Metadata.ParameterCount).FirstOrDefault())
                .ThenBy(m => m.Name),
            (ModelSort.Versions, false) => models.OrderBy(m => m.VersionCount).ThenBy(m => m.Name),
            (ModelSort.Versions, true) => models.OrderByDescending(m => m.VersionCount).ThenBy(m => m.Name),
            (ModelSort.Name, false) => models.OrderBy(m => m.Name),
            (ModelSort.Name, true) => models.OrderByDescending(m => m.Name),
            (ModelSort.Created, false) => models.OrderBy(m => m.CreatedAt).ThenBy(m => m.Id),
            (ModelSort.Created, true) => models.OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.Id),
            (_, false) => models.OrderBy(m => m.UpdatedAt).ThenBy(m => m.Id),
            _ => models.OrderByDescending(m => m.UpdatedAt).ThenByDescending(m => m.Id),
        };
    }

    private static IQueryable<ModelInfo> Project(RegistryDbContext db, IQueryable<RegisteredModel> models)
    {
        var heads = Headline(db);
        return models.Select(m => new ModelInfo(
            m.Name,
            m.DisplayName,
            m.Description,
            m.Task,
            m.Owner,
            m.Tags,
            m.VersionCount,
            m.Versions.Max(v => (int?)v.Number),
            m.Versions.Where(v => v.Stage == Stage.Production).Select(v => (int?)v.Number).FirstOrDefault(),
            m.CreatedAt,
            m.UpdatedAt,
            m.OwnerTeam == null ? null : m.OwnerTeam.Name,
            m.Visibility,
            heads.Where(v => v.ModelId == m.Id).Select(v => v.Metadata.License).FirstOrDefault(),
            heads.Where(v => v.ModelId == m.Id).Select(v => v.Metadata.ParameterCount).FirstOrDefault()));
    }
}
