using System.Security.Claims;
using ModelRegistry.Core.Security;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

internal static class TokensApi
{
    /// <summary>A token request: a name and an optional lifetime in days.</summary>
    public sealed record CreateTokenRequest(string Name, int? ExpiresInDays);

    public static void MapTokens(this RouteGroupBuilder api)
    {
        var tokens = api.MapGroup("/tokens").WithTags("Tokens");

        // ?all=true lists every user's tokens (Admin only), so an Admin can find and revoke any of them.
        tokens.MapGet("/", (bool? all, TokenService service, ClaimsPrincipal user, CancellationToken ct) =>
            all == true ? service.ListAllAsync(user.ToActor(), ct) : service.ListMineAsync(user.ToActor(), ct));

        tokens.MapPost("/", async (CreateTokenRequest body, TokenService service, ClaimsPrincipal user, CancellationToken ct) =>
        {
            var actor = user.ToActor();
            var created = await service.CreateAsync(actor, actor.UserId, body.Name, body.ExpiresInDays, ct);
            return TypedResults.Created($"/api/v1/tokens/{created.Info.Id}", new { token = created.Token, created.Info });
        });

        tokens.MapDelete("/{id:long}", async (long id, TokenService service, ClaimsPrincipal user, CancellationToken ct) =>
        {
            await service.RevokeAsync(user.ToActor(), id, ct);
            return TypedResults.NoContent();
        });
    }
}
