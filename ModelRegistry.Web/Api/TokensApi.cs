using System.Security.Claims;
using ModelRegistry.Core.Security;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

internal static class TokensApi
{
    /// <summary>A token request: a name and an optional lifetime in days.</summary>
    public sealed record CreateTokenRequest(string Name, int? ExpiresInDays = null);

    /// <summary>A new token: the secret, shown this once, and what the list shows of it from now on.</summary>
    public sealed record TokenCreated(string Token, TokenInfo Info);

    public static void MapTokens(this RouteGroupBuilder api)
    {
        var tokens = api.MapGroup("/tokens").WithTags("Tokens");

        // ?all=true lists every user's tokens (Admin only), so an Admin can find and revoke any of them.
        tokens.MapGet("/", async (bool? all, TokenService service, ClaimsPrincipal user, CancellationToken ct) =>
                TypedResults.Ok(await (all == true ? service.ListAllAsync(user.ToActor(), ct) : service.ListMineAsync(user.ToActor(), ct))))
            .WithName("listTokens")
            .WithSummary("Lists your API tokens")
            .WithDescription("all=true lists every user's tokens (Admin only, 403 otherwise).")
            .Problems(StatusCodes.Status403Forbidden);

        tokens.MapPost("/", async (CreateTokenRequest body, TokenService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var actor = user.ToActor();
                var created = await service.CreateAsync(actor, actor.UserId, body.Name, body.ExpiresInDays, ct);
                return TypedResults.Created($"/api/v1/tokens/{created.Info.Id}", new TokenCreated(created.Token, created.Info));
            })
            .WithName("createToken")
            .WithSummary("Makes an API token for you")
            .WithDescription("The token is answered once; the registry keeps only its hash.")
            .Problems(StatusCodes.Status403Forbidden, StatusCodes.Status507InsufficientStorage)
            .TakesJson();

        tokens.MapDelete("/{id:long}", async (long id, TokenService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                await service.RevokeAsync(user.ToActor(), id, ct);
                return TypedResults.NoContent();
            })
            .WithName("revokeToken")
            .WithSummary("Revokes an API token")
            .WithDescription("Your own, or any as an Admin.")
            .Problems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status507InsufficientStorage);
    }
}
