using System.Security.Claims;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Common;
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
        files.MapPut("/{**path}", UploadAsync)
            .WithName("uploadFile")
            .WithSummary("Uploads a file to the version")
            .WithDescription("The raw body is streamed to the store while hashed (any length up to Registry:Artifacts:MaxFileBytes, "
                + "chunked or not); 201 for a new path, 200 when it replaces the file there. DataScientist or Admin.")
            .Accepts<Stream>("application/octet-stream")
            .RequestHeader(ChecksumHeader, "The body's SHA-256 (64 hex digits): a mismatch is 422 and nothing is kept.", "^[0-9a-fA-F]{64}$")
            .RequestHeader(ArtifactService.ReuseField, "Instead of a body (send none): the SHA-256 of a file some version of this model already has; "
                + "the file is stored from those bytes without receiving them again. 404 with code blob_not_stored when the model has "
                + "no such file: send the bytes.", "^[0-9a-fA-F]{64}$")
            .Changes()
            .Problems(StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity);

        // Reads take a version reference (an alias, latest, a commit …): a download serves the version it names now.
        var read = api.MapGroup("/models/{name}/versions/{number}/files").WithTags("Files");

        read.MapGet("/", async (string name, string number, VersionReferences references, ArtifactService service, CancellationToken ct) =>
                TypedResults.Ok(await service.ListAsync(name, await references.ResolveAsync(name, number, ct), ct)))
            .WithName("listFiles")
            .WithSummary("Lists the version's files")
            .WithDescription("Path, size, SHA-256, content type, kind, flags (unsafe formats) and what the header says.")
            .ReadsVersionReference();

        read.MapGet("/{**path}", DownloadAsync)
            .WithName("downloadFile")
            .WithSummary("Downloads a file")
            .WithDescription("The bytes as an attachment; without Range, verified against their SHA-256 as they stream. Range "
                + "(206, 416; see the header) and conditional requests (If-None-Match, If-Range: 304).")
            .DescribesDownload(StatusCodes.Status206PartialContent, StatusCodes.Status416RangeNotSatisfiable);

        read.MapMethods("/{**path}", [HttpMethods.Head], DownloadAsync)
            .WithName("getFileHeaders")
            .WithSummary("Reads a file's size and ETag without its bytes")
            .DescribesDownload();
    }

    /// <summary>
    /// The file path as the route gives it, with percent-encoded slashes (<c>%2F</c>, as generated clients send the
    /// parameter) decoded: both spellings name the same file. The server decodes every other escape itself and leaves
    /// <c>%2F</c> alone; <see cref="RawPathGuard"/> has refused anything that would decode to a slash a second time
    /// (<c>%252F</c>) and dot segments hidden between encoded slashes, and Core checks the decoded path like any other.
    /// </summary>
    internal static string FilePath(string? routeValue) =>
        (routeValue ?? "").Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    private static RouteHandlerBuilder DescribesDownload(this RouteHandlerBuilder builder, params int[] rangeStatuses)
    {
        builder.Produces<Stream>(StatusCodes.Status200OK, "application/octet-stream")
            .Produces(StatusCodes.Status304NotModified)
            .ResponseHeader(StatusCodes.Status200OK, "ETag", "The file's SHA-256, quoted.", "^\"[0-9a-f]{64}\"$")
            .ResponseHeader(StatusCodes.Status200OK, ChecksumHeader, "The file's SHA-256.", "^[0-9a-f]{64}$")
            .ResponseHeader(StatusCodes.Status200OK, "Accept-Ranges", "bytes")
            .ResponseHeader(StatusCodes.Status200OK, "Last-Modified", "When the file was uploaded.")
            .ResponseHeader(StatusCodes.Status200OK, "Content-Disposition", "attachment, with the file's name.")
            .ResponseHeader(StatusCodes.Status304NotModified, "ETag", "The file's SHA-256, quoted.")
            .RequestHeader("If-None-Match", "An ETag the caller holds: 304 when the file still has it.")
            // With presigned downloads on the S3 store (decision 19), a redirect to the bucket, which answers the Range.
            .Produces(StatusCodes.Status302Found)
            .ResponseHeader(StatusCodes.Status302Found, "Location", "A presigned URL of the file in the S3 bucket, valid for a few minutes.")
            .ResponseHeader(StatusCodes.Status302Found, "ETag", "The file's SHA-256, quoted.")
            .ResponseHeader(StatusCodes.Status302Found, ChecksumHeader, "The file's SHA-256.")
            .ReadsVersionReference()
            .Problems(StatusCodes.Status403Forbidden, StatusCodes.Status500InternalServerError);
        if (rangeStatuses.Length > 0)
        {
            builder.Produces<Stream>(StatusCodes.Status206PartialContent, "application/octet-stream")
                .Produces(StatusCodes.Status416RangeNotSatisfiable)
                .ResponseHeader(StatusCodes.Status206PartialContent, "Content-Range", "The bytes sent: bytes FIRST-LAST/SIZE.")
                .ResponseHeader(StatusCodes.Status206PartialContent, "ETag", "The file's SHA-256, quoted.")
                .ResponseHeader(StatusCodes.Status206PartialContent, ChecksumHeader, "The whole file's SHA-256.")
                .ResponseHeader(StatusCodes.Status416RangeNotSatisfiable, "Content-Range", "The file's size: bytes */SIZE.")
                .RequestHeader("Range", "bytes=FIRST-LAST (one range): 206 with those bytes, 416 past the end. Served from a file "
                    + "verified since it last changed and not checked again: compare the result with the ETag. bytes=0- (every "
                    + "byte, as mreg asks) is checked as it streams when the file was not verified since it last changed.")
                .RequestHeader("If-Range", "An ETag: the range is served only while the file still has it, the whole file otherwise.");
        }

        return builder;
    }

    /// <summary>
    /// Streams the raw body into the store: nothing buffers it in memory, and the 1 MiB limit of the API group
    /// is lifted for this one request up to <c>Registry:Artifacts:MaxFileBytes</c>.
    /// The dashboard uploads with its cookie and the page's antiforgery token (checked for every cookie-authenticated
    /// change under /api, see <see cref="Hosting.ApiAntiforgery"/>).
    /// </summary>
    private static async Task<Results<Created<UploadResult>, Ok<UploadResult>>> UploadAsync(string name, int number, string? path,
        HttpContext http, ArtifactService service, ClaimsPrincipal user, CancellationToken ct)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = service.MaxFileBytes;
        }

        var checksum = http.Request.Headers[ChecksumHeader].ToString();
        var reuse = http.Request.Headers[ArtifactService.ReuseField].ToString();
        UploadResult result;
        if (!string.IsNullOrWhiteSpace(reuse))
        {
            if (http.Request.ContentLength > 0 || http.Request.Headers.TransferEncoding.Count > 0)
            {
                throw ValidationFailedException.For(ArtifactService.ReuseField, $"A PUT with {ArtifactService.ReuseField} carries no body.");
            }

            if (!string.IsNullOrWhiteSpace(checksum) && !checksum.Trim().Equals(reuse.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                throw new ChecksumMismatchException(checksum.Trim(), reuse.Trim());
            }

            result = await service.ReuseAsync(user.ToActor(), name, number, FilePath(path), reuse, ct);
        }
        else
        {
            result = await service.UploadAsync(user.ToActor(), name, number, FilePath(path), http.Request.Body,
                new UploadOptions(string.IsNullOrWhiteSpace(checksum) ? null : checksum, http.Request.ContentLength), ct);
        }

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
        await ArtifactDownloads.ServeAsync(http, service, name, await references.ResolveAsync(name, number, ct), FilePath(path), ct: ct);
}
