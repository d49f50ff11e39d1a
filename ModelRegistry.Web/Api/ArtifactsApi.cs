using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

/// <summary>
/// A version's files (DESIGN.md, REST API): raw-body streaming upload, listing, and download with ranges and
/// an ETag that is the file's SHA-256.
/// </summary>
internal static class ArtifactsApi
{
    public const string ChecksumHeader = "X-Checksum-Sha256";

    public static void MapArtifacts(this RouteGroupBuilder api)
    {
        var files = api.MapGroup("/models/{name}/versions/{number:int}/files").WithTags("Files");

        files.MapGet("/", (string name, int number, ArtifactService service, CancellationToken ct) =>
            service.ListAsync(name, number, ct));

        files.MapPut("/{**path}", UploadAsync);

        files.MapMethods("/{**path}", [HttpMethods.Get, HttpMethods.Head], DownloadAsync);
    }

    /// <summary>
    /// Streams the raw body into the store: nothing buffers it in memory, and the 1 MiB limit of the API group
    /// is lifted for this one request up to <c>Registry:Artifacts:MaxFileBytes</c>.
    /// </summary>
    private static async Task<IResult> UploadAsync(string name, int number, string? path, HttpContext http,
        ArtifactService service, IAntiforgery antiforgery, ClaimsPrincipal user, CancellationToken ct)
    {
        // The dashboard uploads with its cookie, so a cross-site page must not be able to: it has to send the
        // antiforgery token in a header. A bearer token is not sent by browsers on their own and needs none.
        if (user.Identity?.AuthenticationType != ApiTokenAuthenticationHandler.SchemeName)
        {
            await antiforgery.ValidateRequestAsync(http);
        }

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

        var location = $"/api/v1/models/{name}/versions/{number}/files/{string.Join('/', result.Artifact.Path.Split('/').Select(Uri.EscapeDataString))}";
        return TypedResults.Created(location, result);
    }

    /// <summary>Range requests (206/416), conditional requests (304, If-Range) and HEAD come from the stream result.</summary>
    private static async Task<IResult> DownloadAsync(string name, int number, string? path, HttpContext http,
        ArtifactService service, CancellationToken ct)
    {
        var content = await service.OpenAsync(name, number, path ?? "", ct);
        http.Response.RegisterForDisposeAsync(content);
        // Uploaded bytes are never rendered by the browser on our origin.
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.ContentSecurityPolicy = "sandbox";
        http.Response.Headers[ChecksumHeader] = content.Info.Sha256;
        return TypedResults.Stream(content.Content, content.Info.ContentType, ArtifactPath.FileName(content.Info.Path),
            lastModified: content.Info.UploadedAt, entityTag: new EntityTagHeaderValue($"\"{content.Info.Sha256}\""),
            enableRangeProcessing: true);
    }
}
