using System.Security.Claims;
using ModelRegistry.Core.Teams;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

/// <summary>Teams (Admin) and who the caller is (/me): docs/design.md, "Teams and model access".</summary>
internal static class TeamsApi
{
    /// <summary>The body of binding a team to an OpenID Connect group (null or empty unbinds).</summary>
    public sealed record BindGroup(string? Group);

    public static void MapTeams(this RouteGroupBuilder api)
    {
        api.MapGet("/me", async (ClaimsPrincipal user, TeamService teams, CancellationToken ct) =>
                TypedResults.Ok(await teams.MeAsync(user.ToActor(), ct)))
            .WithTags("Teams")
            .WithName("getMe")
            .WithSummary("Gets the signed-in user or token owner")
            .WithDescription("E-mail, display name, current roles and teams. A token acts with its owner's current roles and teams.")
            .Problems(StatusCodes.Status403Forbidden);

        var group = api.MapGroup("/teams").WithTags("Teams");

        group.MapGet("/", async (TeamService service, ClaimsPrincipal user, CancellationToken ct) =>
                TypedResults.Ok(await service.ListAsync(user.ToActor(), ct)))
            .WithName("listTeams")
            .WithSummary("Lists teams")
            .WithDescription("Admin. Every team with its members, bound group and the number of models it owns.")
            .Problems(StatusCodes.Status403Forbidden);

        group.MapPost("/", async (CreateTeam body, TeamService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var team = await service.CreateAsync(user.ToActor(), body, ct);
                return TypedResults.Created($"/api/v1/teams/{Uri.EscapeDataString(team.Name)}", team);
            })
            .WithName("createTeam")
            .WithSummary("Creates a team")
            .WithDescription("Admin. The name follows the model-name rule; group binds it to an OpenID Connect group. Audited as team.created.")
            .Problems(StatusCodes.Status403Forbidden, StatusCodes.Status409Conflict, StatusCodes.Status507InsufficientStorage)
            .TakesJson();

        group.MapDelete("/{team}", async (string team, TeamService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                await service.DeleteAsync(user.ToActor(), team, ct);
                return TypedResults.NoContent();
            })
            .WithName("deleteTeam")
            .WithSummary("Deletes a team")
            .WithDescription("Admin. 409 while the team owns models.")
            .Problems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict,
                StatusCodes.Status507InsufficientStorage);

        group.MapPut("/{team}/group", async (string team, BindGroup body, TeamService service, ClaimsPrincipal user, CancellationToken ct) =>
                TypedResults.Ok(await service.BindGroupAsync(user.ToActor(), team, body.Group, ct)))
            .WithName("setTeamGroup")
            .WithSummary("Binds a team to an OpenID Connect group")
            .WithDescription("Admin. Single sign-on then adds and removes the team's members by that group. Audited as team.group_bound.")
            .Problems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status507InsufficientStorage)
            .TakesJson();

        group.MapPut("/{team}/members/{email}", async (string team, string email, TeamService service, ClaimsPrincipal user, CancellationToken ct) =>
                TypedResults.Ok(await service.AddMemberAsync(user.ToActor(), team, email, ct)))
            .WithName("addTeamMember")
            .WithSummary("Adds a member to a team")
            .WithDescription("Admin. Idempotent. Audited as team.member_added.")
            .Problems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status507InsufficientStorage);

        group.MapDelete("/{team}/members/{email}", async (string team, string email, TeamService service, ClaimsPrincipal user, CancellationToken ct) =>
                TypedResults.Ok(await service.RemoveMemberAsync(user.ToActor(), team, email, ct)))
            .WithName("removeTeamMember")
            .WithSummary("Removes a member from a team")
            .WithDescription("Admin. Idempotent. Audited as team.member_removed.")
            .Problems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status507InsufficientStorage);
    }
}
