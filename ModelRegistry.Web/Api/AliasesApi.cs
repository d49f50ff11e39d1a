using System.Security.Claims;
using ModelRegistry.Core.Aliases;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

/// <summary>A model's aliases (docs/design.md, "Aliases"): named pointers to versions, usable wherever a read takes a version.</summary>
internal static class AliasesApi
{
    /// <summary>Where an alias should point: a version number (writes take numbers, not references).</summary>
    public sealed record AliasBody(int? Version);

    public static void MapAliases(this RouteGroupBuilder api)
    {
        var aliases = api.MapGroup("/models/{name}/aliases").WithTags("Aliases");

        aliases.MapGet("/", (string name, AliasService service, CancellationToken ct) => service.ListAsync(name, ct))
            .WithSummary("The model's aliases by name: alias, version, digest, updatedBy, updatedAt.");

        aliases.MapPut("/{alias}", async (string name, string alias, AliasBody? body, AliasService service, ClaimsPrincipal user,
                CancellationToken ct) => TypedResults.Ok(await service.SetAsync(user.ToActor(), name, alias, body?.Version, ct)))
            .WithSummary("Sets the alias to a version, or moves it there (DataScientist, Admin); answers the alias.");

        aliases.MapDelete("/{alias}", async (string name, string alias, AliasService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                await service.RemoveAsync(user.ToActor(), name, alias, ct);
                return TypedResults.NoContent();
            })
            .WithSummary("Removes the alias (DataScientist, Admin).");
    }
}
