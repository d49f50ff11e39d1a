using System.Security.Claims;
using ModelRegistry.Core.Versions;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

/// <summary>A model's versions: list, create, read by number or reference, edit by number, and the manifest whose SHA-256 is the digest.</summary>
internal static class VersionsApi
{
    /// <summary>The manifest's shape, for the OpenAPI document (the bytes come from <see cref="VersionManifest"/>).</summary>
    /// <param name="Card">The SHA-256 of the card's markdown; null without a card.</param>
    /// <param name="Metadata">Every metadata and lineage field, by its API name.</param>
    internal sealed record VersionManifestDocument(string Model, int Version, IReadOnlyList<ManifestFile> Files, string? Card,
        System.Text.Json.Nodes.JsonObject Metadata);

    public static void MapVersions(this RouteGroupBuilder api)
    {
        var versions = api.MapGroup("/models/{name}/versions").WithTags("Versions");

        versions.MapGet("/", async (string name, int? page, int? pageSize, VersionService service, CancellationToken ct) =>
                TypedResults.Ok(await service.ListAsync(name, page, pageSize, ct)))
            .WithName("listVersions")
            .WithSummary("Lists a model's versions")
            .Problems(StatusCodes.Status404NotFound);

        versions.MapPost("/", async (string name, VersionInput? body, VersionService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var created = await service.CreateAsync(user.ToActor(), name, body ?? new VersionInput(), ct);
                return TypedResults.Created($"/api/v1/models/{Uri.EscapeDataString(name)}/versions/{created.Number}", created);
            })
            .WithName("createVersion")
            .WithSummary("Creates the model's next version")
            .WithDescription("With copyFrom: N, a copy of version N (metadata, lineage, card and files by reference) with the body's fields on top.")
            .Changes()
            .TakesJson();

        // Reads take a version reference (a number, latest, production, staging, an alias, a commit); writes a number.
        versions.MapGet("/{number}", async (string name, string number, VersionReferences references, VersionService service,
                CancellationToken ct) => TypedResults.Ok(await service.GetAsync(name, await references.ResolveAsync(name, number, ct), ct)))
            .WithName("getVersion")
            .WithSummary("Reads a version")
            .WithDescription("{number} is a number or a reference: latest, production, staging, an alias, or a commit or digest prefix (12+ hex digits).")
            .ReadsVersionReference();

        versions.MapPatch("/{number:int}", async (string name, int number, VersionInput body, VersionService service,
                ClaimsPrincipal user, CancellationToken ct) => TypedResults.Ok(await service.UpdateAsync(user.ToActor(), name, number, body, ct)))
            .WithName("updateVersion")
            .WithSummary("Changes a version's metadata and lineage")
            .WithDescription("409 version_frozen once the version is approved.")
            .Changes()
            .TakesJson();

        // Exactly the bytes the digest is the SHA-256 of: a client recomputes the digest from them.
        versions.MapGet("/{number}/manifest", async (string name, string number, VersionReferences references, VersionService service,
                CancellationToken ct) =>
            {
                var manifest = await service.ManifestAsync(name, await references.ResolveAsync(name, number, ct), ct);
                return TypedResults.Bytes(manifest.Bytes, "application/json", entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{manifest.Digest}\""));
            })
            .WithName("getVersionManifest")
            .WithSummary("Reads the version's manifest")
            .WithDescription("Exactly the bytes the version's digest is the SHA-256 of: canonical JSON of {model, version, files, card, metadata}.")
            .Produces<VersionManifestDocument>(StatusCodes.Status200OK, "application/json")
            .ResponseHeader(StatusCodes.Status200OK, "ETag", "The version's digest, quoted.")
            .ReadsVersionReference();
    }
}
