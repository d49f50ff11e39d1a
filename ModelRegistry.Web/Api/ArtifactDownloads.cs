using Microsoft.Net.Http.Headers;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

/// <summary>
/// The answer to a download of a version's file, shared by every route that serves one (the REST API's
/// <c>…/files/{path}</c>, <c>/hf/…/resolve/…</c>): Core decides (access, integrity, presigning), this writes it as HTTP.
/// </summary>
internal static class ArtifactDownloads
{
    /// <summary>
    /// Serves file <paramref name="path"/> of version <paramref name="number"/> to the signed-in user of
    /// <paramref name="http"/>, for <c>GET</c> and <c>HEAD</c>:
    /// <list type="bullet">
    /// <item>through the registry: <c>200</c>, or <c>206</c>/<c>416</c> for a <c>Range</c>, <c>304</c> for a matching
    /// <c>If-None-Match</c>; an attachment (<c>nosniff</c>, <c>sandbox</c> CSP), verified as it streams;</item>
    /// <item>or, with presigned downloads on the S3 store, <c>302</c> to a presigned URL of the bucket (a client
    /// following it sends its <c>Range</c> there), or <c>304</c> for a matching <c>If-None-Match</c>.</item>
    /// </list>
    /// Every answer carries <c>ETag</c> (<c>"&lt;sha256&gt;"</c>) and <c>X-Checksum-Sha256</c>. Errors are thrown as Core
    /// exceptions (404 unknown, 403, 500 damaged, 503 store down) for the caller's error mapping.
    /// </summary>
    /// <param name="decorate">Called with the file before the answer is written, on every answer (a redirect too):
    /// a protocol adds its own headers there (<c>/hf</c>: <c>X-Repo-Commit</c>, <c>X-Linked-Etag</c>, <c>X-Linked-Size</c>).</param>
    public static async Task<IResult> ServeAsync(HttpContext http, ArtifactService service, string modelName, int number, string path,
        Action<HttpResponse, ArtifactInfo>? decorate = null, CancellationToken ct = default)
    {
        var request = http.Request;
        var kind = HttpMethods.IsHead(request.Method) ? DownloadKind.Head
            : request.Headers.Range.Count > 0 && !IsFromFirstByte(request) ? DownloadKind.Range
            : DownloadKind.Whole;
        var download = await service.DownloadAsync(http.User.ToActor(), modelName, number, path, kind, ct);
        http.Response.RegisterForDisposeAsync(download);
        var info = download.Info;
        var etag = new EntityTagHeaderValue($"\"{info.Sha256}\"");
        http.Response.Headers[ArtifactsApi.ChecksumHeader] = info.Sha256;
        decorate?.Invoke(http.Response, info);

        if (download.Presigned is { } presigned)
        {
            http.Response.Headers.ETag = etag.ToString();
            // The URL stops working when it expires: no cache may keep the redirect.
            http.Response.Headers.CacheControl = "no-store";
            return IsNotModified(request, etag) ? TypedResults.StatusCode(StatusCodes.Status304NotModified) : TypedResults.Redirect(presigned.Url.AbsoluteUri);
        }

        var content = download.Content!;
        // Uploaded bytes are never rendered by the browser on our origin.
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.ContentSecurityPolicy = "sandbox";
        return TypedResults.Stream(content.Content, info.ContentType, ArtifactPath.FileName(info.Path), lastModified: info.UploadedAt,
            entityTag: etag, enableRangeProcessing: true);
    }

    /// <summary>
    /// <c>Range: bytes=0-</c>, every byte from the first: the whole file, as a client that checks it itself asks for it
    /// (mreg). Core serves it as a whole download — through the registry and checked as it streams unless the blob was
    /// verified since it last changed — instead of re-hashing an unverified blob before a range (docs/decisions/0033).
    /// </summary>
    private static bool IsFromFirstByte(HttpRequest request) =>
        request.GetTypedHeaders().Range is { } range && range.Unit.Equals("bytes", StringComparison.OrdinalIgnoreCase)
        && range.Ranges.Count == 1 && range.Ranges.First() is { From: 0, To: null };

    /// <summary>Whether <c>If-None-Match</c> names this file's ETag (or <c>*</c>): the client's copy is current.</summary>
    private static bool IsNotModified(HttpRequest request, EntityTagHeaderValue etag) =>
        request.GetTypedHeaders().IfNoneMatch is { Count: > 0 } tags && tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(etag, useStrongComparison: false));
}
