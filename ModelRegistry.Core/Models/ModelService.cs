using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;

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

    /// <summary>A page of models matching <paramref name="query"/>; filtering, sorting and paging run in the database.</summary>
    public async Task<PagedResult<ModelInfo>> ListAsync(ModelQuery query, CancellationToken ct = default)
    {
        var paging = PageRequest.From(query.Page, query.PageSize);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var models = db.Models.AsNoTracking();

        var search = Input.Line("search", query.Search, 200);
        if (search is not null)
        {
            var pattern = Input.LikeContains(search);
            // Case-insensitive on both providers: SQLite's LIKE ignores (ASCII) case, PostgreSQL's needs ILIKE.
            models = db.Database.IsNpgsql()
                ? models.Where(m => EF.Functions.ILike(m.Name, pattern, "\\")
                    || EF.Functions.ILike(m.DisplayName, pattern, "\\")
                    || EF.Functions.ILike(m.Description!, pattern, "\\"))
                : models.Where(m => EF.Functions.Like(m.Name, pattern, "\\")
                    || EF.Functions.Like(m.DisplayName, pattern, "\\")
                    || EF.Functions.Like(m.Description, pattern, "\\"));
        }

        var tag = Input.Line("tag", query.Tag, Input.MaxTagLength)?.ToLowerInvariant();
        if (tag is not null)
        {
            models = models.Where(m => m.Tags.Contains(tag));
        }

        var task = Input.Line("task", query.Task, MaxTask);
        if (task is not null)
        {
            models = models.Where(m => m.Task == task);
        }

        if (query.Stage is { } stage)
        {
            models = models.Where(m => m.Versions.Any(v => v.Stage == stage));
        }

        var total = await models.CountAsync(ct);
        // The page's rows are chosen first and only they are projected: PostgreSQL would otherwise compute each
        // model's latest and Production version for every row skipped by OFFSET, growing with the page number.
        var page = Order(models, query).Skip(paging.Skip).Take(paging.PageSize).Select(m => m.Id);
        var items = await Project(Order(db.Models.AsNoTracking().Where(m => page.Contains(m.Id)), query)).ToListAsync(ct);
        return new PagedResult<ModelInfo>(items, total);
    }

    /// <summary>The model called <paramref name="name"/>; 404 when there is none.</summary>
    public async Task<ModelInfo> GetAsync(string name, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await Project(db.Models.AsNoTracking().Where(m => m.Name == name)).SingleOrDefaultAsync(ct)
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

    private static IQueryable<RegisteredModel> Order(IQueryable<RegisteredModel> models, ModelQuery query) =>
        (query.Sort, query.Descending) switch
        {
            (ModelSort.Name, false) => models.OrderBy(m => m.Name),
            (ModelSort.Name, true) => models.OrderByDescending(m => m.Name),
            (ModelSort.Created, false) => models.OrderBy(m => m.CreatedAt).ThenBy(m => m.Id),
            (ModelSort.Created, true) => models.OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.Id),
            (_, false) => models.OrderBy(m => m.UpdatedAt).ThenBy(m => m.Id),
            _ => models.OrderByDescending(m => m.UpdatedAt).ThenByDescending(m => m.Id),
        };

    private static IQueryable<ModelInfo> Project(IQueryable<RegisteredModel> models) =>
        models.Select(m => new ModelInfo(
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
            m.Visibility));
}
