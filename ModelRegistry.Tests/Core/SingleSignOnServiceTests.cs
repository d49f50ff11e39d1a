using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Identity;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Teams;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>
/// The rules an external sign-in applies (docs/decisions/0026-single-sign-on.md), through Core alone: the same
/// <see cref="SingleSignOnService"/> the ExternalLogin page calls, on a registry with <c>RoleGroups</c> configured.
/// </summary>
public sealed class SingleSignOnServiceTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly RegistryApp _app = new();

    public async ValueTask InitializeAsync()
    {
        _app.Settings["Registry:Auth:Oidc:Enabled"] = "true";
        _app.Settings["Registry:Auth:Oidc:Authority"] = "https://idp.example";
        _app.Settings["Registry:Auth:Oidc:ClientId"] = "registry";
        _app.Settings["Registry:Auth:Oidc:ClientSecret"] = "secret";
        _app.Settings["Registry:Auth:Oidc:RoleGroups:Admin:0"] = "admins";
        _app.Settings["Registry:Auth:Oidc:RoleGroups:DataScientist:0"] = "ml";
        _app.Settings["Registry:Auth:Oidc:RoleGroups:DataScientist:1"] = "research";
        _app.Settings["Registry:Auth:Oidc:RoleGroups:Reviewer:0"] = "reviewers";
        _app.Settings["Registry:Auth:Oidc:RoleGroups:Viewer:0"] = "staff";
        await _app.InitializeAsync();
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private SingleSignOnService Sso => _app.Get<SingleSignOnService>();

    private static ExternalIdentity Who(string sub, IReadOnlyList<string>? groups, string? email = null) =>
        new(SingleSignOnService.Scheme, sub, email ?? $"{sub}@corp.example", true, sub, groups);

    private async Task<IReadOnlyList<string>> RolesAsync(string userId) =>
        (await _app.Get<UserAdminService>().ListAsync(Actor.CommandLine)).Single(u => u.Id == userId).Roles;

    [Fact]
    public void Groups_map_onto_roles_and_viewer_grants_access_without_a_role()
    {
        var map = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase)
        {
            ["Admin"] = ["admins"],
            ["dataScientist"] = ["ml", "research"],
            ["Viewer"] = ["staff"],
        };
        Assert.Equal(["Admin", "DataScientist"], DirectoryGroupSync.Evaluate(["research", "admins", "other"], map).Roles);
        Assert.Empty(DirectoryGroupSync.Evaluate(["staff"], map).Roles);
        Assert.True(DirectoryGroupSync.Evaluate(["staff"], map).HasAccess);
        Assert.False(DirectoryGroupSync.Evaluate(["Admins", "other"], map).HasAccess); // exact names: case counts
        var (grant, revoke) = DirectoryGroupSync.Changes(["Reviewer", "Admin"], ["Admin", "Auditor"]);
        Assert.Equal(["Auditor"], grant);
        Assert.Equal(["Reviewer"], revoke);
    }

    [Fact]
    public void Enabled_without_authority_client_or_secret_names_each_missing_key()
    {
        var problems = new OidcOptions { Enabled = true, Authority = "https://idp.example", RoleGroups = { ["Owner"] = ["x"] } }.Problems();
        Assert.Contains(problems, p => p.Contains("Registry:Auth:Oidc:ClientId is not set", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Registry:Auth:Oidc:ClientSecret is not set", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Registry:Auth:Oidc:RoleGroups:Owner is not a role", StringComparison.Ordinal));
        Assert.Contains(new OidcOptions { Enabled = true, Authority = "http://idp", ClientId = "a", ClientSecret = "b" }.Problems(),
            p => p.Contains("must be an https URL", StringComparison.Ordinal));
        Assert.Empty(new OidcOptions { Enabled = false }.Problems());
    }

    [Fact]
    public async Task First_sign_in_creates_the_user_with_roles_and_teams_from_groups_and_later_sign_ins_follow_the_groups()
    {
        await _app.Get<TeamService>().CreateAsync(Actor.CommandLine, new CreateTeam("vision", "ml"), Ct);
        var first = await Sso.SignInAsync(Who("carol", ["ml", "admins"]), Ct);
        Assert.Equal(SingleSignOnStatus.SignedIn, first.Status);
        var id = first.UserId!;
        Assert.Equal(["Admin", "DataScientist"], await RolesAsync(id));
        Assert.Equal(["vision"], await _app.Get<TeamService>().TeamsOfAsync(id, Ct));

        await using (var db = await _app.DbAsync())
        {
            Assert.Equal("carol@corp.example", await db.Users.Where(u => u.Id == id).Select(u => u.Email).SingleAsync(Ct));
            var byActor = await db.AuditEvents.Where(e => e.ActorName == "sso").Select(e => e.Action).ToListAsync(Ct);
            Assert.Contains("user.created", byActor);
            Assert.Equal(2, byActor.Count(a => a == "user.role_granted"));
            Assert.Contains("team.member_added", byActor);
        }

        // Same subject again: the same user, Admin and the team gone with their groups.
        var second = await Sso.SignInAsync(Who("carol", ["research"]), Ct);
        Assert.Equal(id, second.UserId);
        Assert.Equal(["DataScientist"], await RolesAsync(id));
        Assert.Empty(await _app.Get<TeamService>().TeamsOfAsync(id, Ct));
    }

    [Fact]
    public async Task Groups_that_map_to_nothing_lock_the_user_until_a_sign_in_with_groups_that_do()
    {
        var id = (await Sso.SignInAsync(Who("dave", ["reviewers"]), Ct)).UserId!;
        var token = await _app.Get<TokenService>().CreateAsync(Actor.CommandLine, id, "ci", null, Ct);
        using var api = _app.AnonymousClient();
        api.DefaultRequestHeaders.Authorization = new("Bearer", token.Token);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await api.GetAsync("/api/v1/me", Ct)).StatusCode);

        var refused = await Sso.SignInAsync(Who("dave", ["contractors"]), Ct);
        Assert.Equal(SingleSignOnStatus.Refused, refused.Status);
        Assert.Contains("None of your groups", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await RolesAsync(id));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/me", Ct)).StatusCode);

        Assert.Equal(SingleSignOnStatus.SignedIn, (await Sso.SignInAsync(Who("dave", ["staff"]), Ct)).Status);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await api.GetAsync("/api/v1/me", Ct)).StatusCode);
    }

    [Fact]
    public async Task Nobody_is_created_for_groups_that_map_to_nothing_or_an_answer_without_the_groups_claim()
    {
        Assert.Equal(SingleSignOnStatus.Refused, (await Sso.SignInAsync(Who("erin", ["contractors"]), Ct)).Status);
        var missing = await Sso.SignInAsync(Who("erin", null), Ct);
        Assert.Equal(SingleSignOnStatus.Refused, missing.Status);
        Assert.Contains("no 'groups' claim", missing.Message, StringComparison.Ordinal);
        await using var db = await _app.DbAsync();
        Assert.False(await db.Users.AnyAsync(u => u.Email == "erin@corp.example", Ct));
    }

    [Fact]
    public async Task An_existing_local_account_is_linked_only_after_its_password_and_never_when_the_provider_says_unverified()
    {
        var local = await _app.CreateUserAsync(Roles.Auditor);
        var who = Who("frank", ["ml"], local.Email);
        Assert.Equal(SingleSignOnStatus.NeedsPassword, (await Sso.SignInAsync(who, Ct)).Status);
        Assert.Equal(SingleSignOnStatus.Refused, (await Sso.SignInAsync(who with { EmailVerified = false }, Ct)).Status);
        Assert.Equal(SingleSignOnStatus.WrongPassword, (await Sso.LinkAsync(who, "wrong-password-1", Ct)).Status);
        await using (var db = await _app.DbAsync())
        {
            Assert.False(await db.UserLogins.AnyAsync(l => l.UserId == local.Id, Ct));
        }

        var linked = await Sso.LinkAsync(who, local.Password, Ct);
        Assert.Equal(SingleSignOnStatus.SignedIn, linked.Status);
        Assert.Equal(local.Id, linked.UserId);
        Assert.Equal(["DataScientist"], await RolesAsync(local.Id)); // Auditor was not in the groups: revoked
        Assert.Equal(local.Id, (await Sso.SignInAsync(who, Ct)).UserId);
    }

    [Fact]
    public async Task Admins_cannot_change_roles_of_directory_users_and_a_re_check_strips_what_the_groups_do_not_justify()
    {
        var admin = await _app.CreateUserAsync(Roles.Admin);
        var id = (await Sso.SignInAsync(Who("gina", ["ml"]), Ct)).UserId!;
        var users = _app.Get<UserAdminService>();
        var refused = await Assert.ThrowsAsync<ConflictException>(() => users.GrantRoleAsync(admin.Actor, id, Roles.Reviewer, Ct));
        Assert.Contains("Re-check against directory", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ConflictException>(() => users.RevokeRoleAsync(admin.Actor, id, Roles.DataScientist, Ct));
        Assert.True((await users.ListAsync(admin.Actor, Ct)).Single(u => u.Id == id).DirectoryManaged);

        // The operator's break-glass on the command line may; the re-check takes it back, audited with the Admin as actor.
        await users.GrantRoleAsync(Actor.CommandLine, id, Roles.Reviewer, Ct);
        var recheck = await Sso.RecheckAsync(admin.Actor, id, Ct);
        Assert.Equal(SingleSignOnStatus.SignedIn, recheck.Status);
        Assert.Equal(["DataScientist"], await RolesAsync(id));
        await using var db = await _app.DbAsync();
        Assert.True(await db.AuditEvents.AnyAsync(e => e.EntityId == id && e.Action == "user.role_revoked" && e.ActorId == admin.Id, Ct));

        // A local user has no directory to check against; their roles stay the Admin's to change.
        var local = await _app.CreateUserAsync();
        await Assert.ThrowsAsync<ConflictException>(() => Sso.RecheckAsync(admin.Actor, local.Id, Ct));
        await users.GrantRoleAsync(admin.Actor, local.Id, Roles.Reviewer, Ct);
    }
}
