using System.Security.Claims;
using Microsoft.AspNetCore.Http.Features;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Versions;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

/// <summary>
/// A version's files (docs/design.md, "REST API"): raw-body streaming upload, listing, and download with ranges and
/// an ETag that is the file's SHA-256.
/// </summary>
internal static class ArtifactsApi
{
    public const string ChecksumHeader = "X-Checksum-Sha256";

    public static void MapArtifacts(this RouteGroupBuilder api)
    {
        var files = api.MapGroup("/models/{name}/versions/{number:int}/files").WithTags("Files");
        files.MapPut("/{**path}", UploadAsync);

        // Reads take a version reference (an alias, latest, a commit …): a download serves the version it names now.
        var read = api.MapGroup("/models/{name}/versions/{number}/files").WithTags("Files");

        read.MapGet("/", async (string name, string number, VersionReferences references, ArtifactService service, CancellationToken ct) =>
            await service.ListAsync(name, await references.ResolveAsync(name, number, ct), ct));

        read.MapMethods("/{**path}", [HttpMethods.Get, HttpMethods.Head], DownloadAsync);
    }

    /// <summary>
    /// Streams the raw body into the store: nothing buffers it in memory, and the 1 MiB limit of the API group
    /// is lifted for this one request up to <c>Registry:Artifacts:MaxFileBytes</c>.
    /// The dashboard uploads with its cookie and the page's antiforgery token (checked for every cookie-authenticated
    /// change under /api, see <see cref="Hosting.ApiAntiforgery"/>).
    /// </summary>
    private static async Task<IResult> UploadAsync(string name, int number, string? path, HttpContext http,
        ArtifactService service, ClaimsPrincipal user, CancellationToken ct)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = service.MaxFileBytes;
        }

        var checksum = http.Request.Headers[ChecksumHeader].ToString();
        var result = await service.UploadAsync(user.ToActor(), name, number, path ?? "", http.Request.Body,
            new UploadOptions(string.IsNullOrWhiteSpace(checksum) ? null : checksum, http.Request.ContentLength), ct);
        if (result.Replaced)
        {
            return TypedResults.Ok(result);
        }

        var location = $"/api/v1/models/{Uri.EscapeDataString(name)}/versions/{number}/files/{string.Join('/', result.Artifact.Path.Split('/').Select(Uri.EscapeDataString))}";
        return TypedResults.Created(location, result);
    }

    /// <summary>
    /// The version reference is resolved here; the answer (streamed with ranges and an ETag, or a presigned redirect)
    /// is <see cref="ArtifactDownloads.ServeAsync"/>'s.
    /// </summary>
    private static async Task<IResult> DownloadAsync(string name, string number, string? path, HttpContext http,
        VersionReferences references, ArtifactService service, CancellationToken ct) =>
        await ArtifactDownloads.ServeAsync(http, service, name, await references.ResolveAsync(name, number, ct), path ?? "", ct: ct);
}
