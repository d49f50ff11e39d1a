using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;

namespace ModelRegistry.Core.Teams;

/// <summary>
/// Teams and their members (docs/design.md, "Teams and model access"). Admin only, except reading one's own teams;
/// every change audited (<c>team.*</c>) in its transaction, and so sent to webhooks that subscribe to it.
/// </summary>
public sealed class TeamService(
    IDbContextFactory<RegistryDbContext> dbFactory,
    AccessGuard guard,
    AuditTrail audit,
    TimeProvider clock)
{
    /// <summary>Every team with its members, by name.</summary>
    public async Task<IReadOnlyList<TeamInfo>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.Administer, ct);
        return await ProjectAsync(db, db.Teams.AsNoTracking(), ct);
    }

    /// <summary>One team; 404 when there is none.</summary>
    public async Task<TeamInfo> GetAsync(Actor actor, string name, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.Administer, ct);
        return (await ProjectAsync(db, db.Teams.AsNoTracking().Where(t => t.Name == name), ct)).SingleOrDefault() ?? throw NotFound(name);
    }

    /// <summary>Creates a team (409 when the name is taken, 400 for a name outside the rule).</summary>
    public async Task<TeamInfo> CreateAsync(Actor actor, CreateTeam input, CancellationToken ct = default)
    {
        var name = TeamName.Validate(input.Name);
        var group = TeamName.Group(input.Group);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.Administer, ct);
        await db.InTransactionAsync(async () =>
        {
            if (await db.Teams.AnyAsync(t => t.Name == name, ct))
            {
                throw new ConflictException($"A team named '{name}' already exists.");
            }

            db.Teams.Add(new Team(name, group, clock.GetUtcNow()));
            await audit.RecordAsync(db, actor, AuditActions.TeamCreated, AuditEntities.Team, name, null, new { name, group }, ct);
            return true;
        }, ct);
        return await GetAsync(actor, name, ct);
    }

    /// <summary>Deletes a team; 409 while it owns models (give them another owner team first).</summary>
    public async Task DeleteAsync(Actor actor, string name, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.Administer, ct);
        await db.InTransactionAsync(async () =>
        {
            var team = await db.Teams.Include(t => t.Members).SingleOrDefaultAsync(t => t.Name == name, ct) ?? throw NotFound(name);
            var owned = await db.Models.IgnoreQueryFilters().CountAsync(m => m.OwnerTeamId == team.Id, ct);
            if (owned > 0)
            {
                throw new ConflictException($"The team '{name}' owns {owned} model(s): give them another owner team first.");
            }

            db.Teams.Remove(team);
            await audit.RecordAsync(db, actor, AuditActions.TeamDeleted, AuditEntities.Team, name, null,
                new { name, members = team.Members.Count }, ct);
            return true;
        }, ct);
    }

    /// <summary>Binds the team to an OpenID Connect group (null or blank unbinds); single sign-on then keeps its members.</summary>
    public async Task<TeamInfo> BindGroupAsync(Actor actor, string name, string? group, CancellationToken ct = default)
    {
        var clean = TeamName.Group(group);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.Administer, ct);
        await db.InTransactionAsync(async () =>
        {
            var team = await db.Teams.SingleOrDefaultAsync(t => t.Name == name, ct) ?? throw NotFound(name);
            if (team.Group == clean)
            {
                return false;
            }

            var before = team.Group;
            team.Group = clean;
            await audit.RecordAsync(db, actor, AuditActions.TeamGroupBound, AuditEntities.Team, name, null,
                new { name, before, after = clean }, ct);
            return true;
        }, ct);
        return await GetAsync(actor, name, ct);
    }

    /// <summary>Adds the user with <paramref name="email"/> to the team (idempotent); 404 for an unknown team or user.</summary>
    public async Task<TeamInfo> AddMemberAsync(Actor actor, string name, string email, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.Administer, ct);
        await db.InTransactionAsync(async () =>
        {
            var team = await db.Teams.SingleOrDefaultAsync(t => t.Name == name, ct) ?? throw NotFound(name);
            var userId = await FindUserAsync(db, email, ct);
            if (await db.TeamMembers.AnyAsync(m => m.TeamId == team.Id && m.UserId == userId, ct))
            {
                return false;
            }

            db.TeamMembers.Add(new TeamMember(team.Id, userId, clock.GetUtcNow()));
            await audit.RecordAsync(db, actor, AuditActions.TeamMemberAdded, AuditEntities.Team, name, null,
                new { team = name, userId, email }, ct);
            return true;
        }, ct);
        return await GetAsync(actor, name, ct);
    }

    /// <summary>Removes the user with <paramref name="email"/> from the team (idempotent); 404 for an unknown team or user.</summary>
    public async Task<TeamInfo> RemoveMemberAsync(Actor actor, string name, string email, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.Administer, ct);
        await db.InTransactionAsync(async () =>
        {
            var team = await db.Teams.SingleOrDefaultAsync(t => t.Name == name, ct) ?? throw NotFound(name);
            var userId = await FindUserAsync(db, email, ct);
            var member = await db.TeamMembers.SingleOrDefaultAsync(m => m.TeamId == team.Id && m.UserId == userId, ct);
            if (member is null)
            {
                return false;
            }

            db.TeamMembers.Remove(member);
            await audit.RecordAsync(db, actor, AuditActions.TeamMemberRemoved, AuditEntities.Team, name, null,
                new { team = name, userId, email }, ct);
            return true;
        }, ct);
        return await GetAsync(actor, name, ct);
    }

    /// <summary>
    /// Single sign-on's hook (docs/design.md, "Single sign-on and model access"): makes the user a member of exactly the
    /// group-bound teams whose group is in <paramref name="groups"/> — added to those, removed from the other group-bound
    /// teams; teams without a group are left alone. Each change audited with <paramref name="actor"/> (single sign-on's
    /// system actor, shown as <c>sso</c>) in one transaction. 404 for an unknown user.
    /// </summary>
    public async Task<GroupSyncResult> SyncGroupMembershipsAsync(string userId, IReadOnlyCollection<string> groups, Actor actor,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(actor);
        var wanted = groups.Where(g => !string.IsNullOrEmpty(g)).ToHashSet(StringComparer.Ordinal);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.Administer, ct);
        return await db.InTransactionAsync(async () =>
        {
            var email = await db.Users.Where(u => u.Id == userId).Select(u => u.Email).SingleOrDefaultAsync(ct)
                ?? throw new NotFoundException("There is no such user.");
            var bound = await db.Teams.Where(t => t.Group != null).Select(t => new { t.Id, t.Name, Group = t.Group! }).ToListAsync(ct);
            var current = await db.TeamMembers.Where(m => m.UserId == userId).ToListAsync(ct);
            var now = clock.GetUtcNow();
            List<string> added = [], removed = [];
            foreach (var team in bound.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                var membership = current.FirstOrDefault(m => m.TeamId == team.Id);
                if (wanted.Contains(team.Group) && membership is null)
                {
                    db.TeamMembers.Add(new TeamMember(team.Id, userId, now));
                    await audit.RecordAsync(db, actor, AuditActions.TeamMemberAdded, AuditEntities.Team, team.Name, null,
                        new { team = team.Name, userId, email, group = team.Group }, ct);
                    added.Add(team.Name);
                }
                else if (!wanted.Contains(team.Group) && membership is not null)
                {
                    db.TeamMembers.Remove(membership);
                    await audit.RecordAsync(db, actor, AuditActions.TeamMemberRemoved, AuditEntities.Team, team.Name, null,
                        new { team = team.Name, userId, email, group = team.Group }, ct);
                    removed.Add(team.Name);
                }
            }

            return new GroupSyncResult(added, removed);
        }, ct);
    }

    /// <summary>The names of the teams <paramref name="userId"/> belongs to now, by name (for /api/v1/me, the app bar, tokens).</summary>
    public async Task<IReadOnlyList<string>> TeamsOfAsync(string userId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await (from m in db.TeamMembers
                      join t in db.Teams on m.TeamId equals t.Id
                      where m.UserId == userId
                      orderby t.Name
                      select t.Name).ToListAsync(ct);
    }

    /// <summary>The caller with the roles and teams it holds now (a token acts with its owner's); 403 when locked.</summary>
    public async Task<MeInfo> MeAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.Browse, ct);
        var roles = await guard.CurrentRolesAsync(db, actor.UserId, ct) ?? new HashSet<string>();
        var user = await db.Users.AsNoTracking().Where(u => u.Id == actor.UserId)
            .Select(u => new { u.Email, u.DisplayName }).SingleOrDefaultAsync(ct);
        return new MeInfo(user?.Email ?? "", user?.DisplayName ?? user?.Email ?? actor.DisplayName,
            roles.Order(StringComparer.Ordinal).ToList(), await TeamsOfAsync(actor.UserId, ct));
    }

    /// <summary>Every team name, for pickers (the model settings page).</summary>
    public async Task<IReadOnlyList<string>> NamesAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Teams.OrderBy(t => t.Name).Select(t => t.Name).ToListAsync(ct);
    }

    internal static NotFoundException NotFound(string name) => new($"There is no team named '{name}'.");

    private static async Task<string> FindUserAsync(RegistryDbContext db, string email, CancellationToken ct)
    {
        var normalized = (email ?? "").Trim().ToUpperInvariant();
        return await db.Users.Where(u => u.NormalizedEmail == normalized).Select(u => u.Id).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundException("There is no user with that e-mail address.");
    }

    private static async Task<IReadOnlyList<TeamInfo>> ProjectAsync(RegistryDbContext db, IQueryable<Team> teams, CancellationToken ct)
    {
        var rows = await teams.OrderBy(t => t.Name).Select(t => new
        {
            t.Id,
            t.Name,
            t.Group,
            t.CreatedAt,
            Models = db.Models.IgnoreQueryFilters().Count(m => m.OwnerTeamId == t.Id),
            Members = (from m in db.TeamMembers
                       join u in db.Users on m.UserId equals u.Id
                       where m.TeamId == t.Id
                       orderby u.Email
                       select new TeamMemberInfo(u.Email ?? "", u.DisplayName ?? u.Email ?? "")).ToList(),
        }).ToListAsync(ct);
        return rows.Select(r => new TeamInfo(r.Name, r.Group, r.Members, r.Models, r.CreatedAt)).ToList();
    }
}
