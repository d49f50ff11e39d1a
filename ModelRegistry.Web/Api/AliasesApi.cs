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

        aliases.MapGet("/", async (string name, AliasService service, CancellationToken ct) => TypedResults.Ok(await service.ListAsync(name, ct)))
            .WithName("listAliases")
            .WithSummary("Lists the model's aliases")
            .WithDescription("By name: alias, version, digest, updatedBy, updatedAt.")
            .Problems(StatusCodes.Status404NotFound);

        aliases.MapPut("/{alias}", async (string name, string alias, AliasBody? body, AliasService service, ClaimsPrincipal user,
                CancellationToken ct) => TypedResults.Ok(await service.SetAsync(user.ToActor(), name, alias, body?.Version, ct)))
            .WithName("setAlias")
            .WithSummary("Sets or moves an alias")
            .WithDescription("Points the alias at a version number (DataScientist, Admin); answers the alias.")
            .Changes()
            .TakesJson();

        aliases.MapDelete("/{alias}", async (string name, string alias, AliasService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                await service.RemoveAsync(user.ToActor(), name, alias, ct);
                return TypedResults.NoContent();
            })
            .WithName("removeAlias")
            .WithSummary("Removes an alias")
            .WithDescription("DataScientist, Admin.")
            .Changes();
    }
}
