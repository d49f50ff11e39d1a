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
/// registry keeps no LFS pointers to show instead), GET and HEAD, with ranges, or a presigned redirect where the REST
/// download would give one.
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
                    (string model, string revision, string? path, HttpContext http, HubService service, ArtifactService artifacts,
                        ClaimsPrincipal user, CancellationToken ct) =>
                        DownloadAsync(HubApi.OwnerOf(form, http.Request), model, revision, path ?? "", http, service, artifacts, user, ct));
            }
        }
    }

    private static async Task<IResult> DownloadAsync(string? owner, string model, string revision, string path, HttpContext http,
        HubService service, ArtifactService artifacts, ClaimsPrincipal user, CancellationToken ct)
    {
        var resolved = await service.ResolveAsync(user.ToActor(), owner, model, revision, ct);
        // Also on a missing file's 404: huggingface_hub then remembers the file as absent from that commit.
        http.Response.Headers[RepoCommitHeader] = resolved.Commit;
        return await RespondAsync(http, service, artifacts, resolved, path, ct);
    }

    /// <summary>
    /// The one place a Hub download's answer is built, once the revision is resolved: a version's file exactly as the
    /// REST download answers it (<see cref="ArtifactDownloads.ServeAsync"/>: ETag = the SHA-256, ranges, 304, an
    /// attachment, the bytes verified as they stream, or a presigned 302); the model card as <c>README.md</c>, and every
    /// <c>HEAD</c>, answered here (<see cref="HubService.OpenHereAsync"/> says why); and on every answer — a redirect
    /// too — the Hub's <c>X-Repo-Commit</c>, <c>X-Linked-Etag</c> and <c>X-Linked-Size</c>.
    /// </summary>
    internal static async Task<IResult> RespondAsync(HttpContext http, HubService service, ArtifactService artifacts, HubRevision revision,
        string path, CancellationToken ct)
    {
        void Decorate(HttpResponse response, ArtifactInfo info)
        {
            response.Headers[RepoCommitHeader] = revision.Commit;
            response.Headers[LinkedETagHeader] = $"\"{info.Sha256}\"";
            response.Headers[LinkedSizeHeader] = info.Size.ToString(CultureInfo.InvariantCulture);
        }

        if (await service.OpenHereAsync(revision, path, HttpMethods.IsHead(http.Request.Method), ct) is { } here)
        {
            http.Response.RegisterForDisposeAsync(here);
            var info = here.Content.Info;
            Decorate(http.Response, info);
            http.Response.Headers.XContentTypeOptions = "nosniff";
            http.Response.Headers.ContentSecurityPolicy = "sandbox";
            http.Response.Headers[ArtifactsApi.ChecksumHeader] = info.Sha256;
            return TypedResults.Stream(here.Content.Content, info.ContentType, ArtifactPath.FileName(info.Path),
                lastModified: info.UploadedAt, entityTag: new EntityTagHeaderValue($"\"{info.Sha256}\""), enableRangeProcessing: true);
        }

        try
        {
            return await ArtifactDownloads.ServeAsync(http, artifacts, revision.ModelName, revision.Number, path, Decorate, ct);
        }
        catch (Exception e) when (HubService.IsMissingFile(e))
        {
            throw HubService.EntryNotFound(revision, path);
        }
    }
}
