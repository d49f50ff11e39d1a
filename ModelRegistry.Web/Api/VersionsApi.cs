using System.Security.Claims;
using ModelRegistry.Core.Versions;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

/// <summary>A model's versions: list, create, read by number or reference, edit by number, and the manifest whose SHA-256 is the digest.</summary>
internal static class VersionsApi
{
    public static void MapVersions(this RouteGroupBuilder api)
    {
        var versions = api.MapGroup("/models/{name}/versions").WithTags("Versions");

        versions.MapGet("/", (string name, int? page, int? pageSize, VersionService service, CancellationToken ct) =>
            service.ListAsync(name, page, pageSize, ct));

        versions.MapPost("/", async (string name, VersionInput? body, VersionService service, ClaimsPrincipal user, CancellationToken ct) =>
        {
            var created = await service.CreateAsync(user.ToActor(), name, body ?? new VersionInput(), ct);
            return TypedResults.Created($"/api/v1/models/{Uri.EscapeDataString(name)}/versions/{created.Number}", created);
        });

        // Reads take a version reference (a number, latest, production, staging, an alias, a commit); writes a number.
        versions.MapGet("/{number}", async (string name, string number, VersionReferences references, VersionService service,
                CancellationToken ct) => await service.GetAsync(name, await references.ResolveAsync(name, number, ct), ct))
            .WithSummary("One version; {number} is a number or a reference: latest, production, staging, an alias, or a commit or digest prefix (12+ hex digits).");

        versions.MapPatch("/{number:int}", (string name, int number, VersionInput body, VersionService service,
                ClaimsPrincipal user, CancellationToken ct) =>
            service.UpdateAsync(user.ToActor(), name, number, body, ct));

        // Exactly the bytes the digest is the SHA-256 of: a client recomputes the digest from them.
        versions.MapGet("/{number}/manifest", async (string name, string number, VersionReferences references, VersionService service,
            CancellationToken ct) =>
        {
            var manifest = await service.ManifestAsync(name, await references.ResolveAsync(name, number, ct), ct);
            return TypedResults.Bytes(manifest.Bytes, "application/json", entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{manifest.Digest}\""));
        });
    }
}
