using System.Globalization;
using System.Security.Claims;
using Microsoft.Net.Http.Headers;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Hub;
using ModelRegistry.Web.Api;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Hub;

/// <summary>
/// A file's bytes: <c>{repo}/resolve/{revision}/{path}</c> and <c>{repo}/raw/{revision}/{path}</c> (the same bytes; this
/// registry keeps no LFS pointers to show instead), GET and HEAD, with ranges.
/// </summary>
internal static class HubFilesApi
{
    public const string RepoCommitHeader = "X-Repo-Commit";
    public const string LinkedETagHeader = "X-Linked-Etag";
    public const string LinkedSizeHeader = "X-Linked-Size";

    public static void Map(RouteGroupBuilder hub, IEnumerable<HubApi.RepoForm> forms)
    {
        foreach (var form in forms)
        {
            foreach (var kind in new[] { "resolve", "raw" })
            {
                hub.MapMethods($"/{form.Template}/{kind}/{{revision}}/{{**path}}", [HttpMethods.Get, HttpMethods.Head],
                    (string model, string revision, string? path, HttpContext http, HubService service, ClaimsPrincipal user,
                        CancellationToken ct) => DownloadAsync(HubApi.OwnerOf(form, http.Request), model, revision, path ?? "", http, service, user, ct));
            }
        }
    }

    private static async Task<IResult> DownloadAsync(string? owner, string model, string revision, string path, HttpContext http,
        HubService service, ClaimsPrincipal user, CancellationToken ct)
    {
        var actor = user.ToActor();
        var resolved = await service.ResolveAsync(actor, owner, model, revision, ct);
        // Also on a missing file's 404: huggingface_hub then remembers the file as absent from that commit.
        http.Response.Headers[RepoCommitHeader] = resolved.Commit;
        var partial = HttpMethods.IsGet(http.Request.Method) && http.Request.Headers.Range.Count > 0;
        var file = await service.OpenAsync(resolved, path, partial, ct);
        return Respond(http, file);
    }

    /// <summary>
    /// The one place a Hub download's response is built, once access is checked and the file opened: the Hub's headers
    /// (<c>X-Repo-Commit</c>, <c>X-Linked-Etag</c>, <c>X-Linked-Size</c>) and then exactly what the REST download answers —
    /// ETag = the SHA-256, <c>Accept-Ranges</c>, 206 with <c>Content-Range</c>, 304/412 for conditional requests, an
    /// attachment never rendered on our origin, the bytes verified as they stream (decision 9). A different way of
    /// delivering the bytes (a presigned redirect) changes this method only.
    /// </summary>
    internal static IResult Respond(HttpContext http, HubFile file)
    {
        http.Response.RegisterForDisposeAsync(file);
        var info = file.Content.Info;
        var headers = http.Response.Headers;
        headers[RepoCommitHeader] = file.Revision.Commit;
        headers[LinkedETagHeader] = $"\"{info.Sha256}\"";
        headers[LinkedSizeHeader] = info.Size.ToString(CultureInfo.InvariantCulture);
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = "sandbox";
        headers[ArtifactsApi.ChecksumHeader] = info.Sha256;
        return TypedResults.Stream(file.Content.Content, info.ContentType, ArtifactPath.FileName(info.Path),
            lastModified: info.UploadedAt, entityTag: new EntityTagHeaderValue($"\"{info.Sha256}\""), enableRangeProcessing: true);
    }
}
