using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using ModelRegistry.Core.Artifacts.Uploads;
using ModelRegistry.Core.Common;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

/// <summary>
/// Resumable uploads over the tus 1.0 protocol (https://tus.io/protocols/resumable-upload; core, creation, expiration,
/// checksum and termination extensions), so that any tus client — <c>tus-js-client</c> in the dashboard, <c>mreg</c>,
/// tusd's <c>tusc</c> — can resume a cut-off upload at the byte the registry kept. This file only speaks the protocol
/// (headers in, headers out); the rules are <see cref="ResumableUploadService"/>'s. Errors are problem details, with
/// the tus statuses: 412 for another protocol version, 415 for a PATCH of another content type, 460 for a chunk whose
/// <c>Upload-Checksum</c> does not match. Cookie callers (the dashboard) send the antiforgery header like every other
/// change under /api.
/// </summary>
internal static class UploadsApi
{
    public const string TusVersion = "1.0.0";
    public const string Extensions = "creation,expiration,checksum,termination";
    public const string OffsetContentType = "application/offset+octet-stream";
    public const int ChecksumMismatchStatus = 460;

    public static void MapUploads(this RouteGroupBuilder api)
    {
        var tus = api.MapGroup("").WithTags("Uploads");

        tus.MapMethods("/uploads", [HttpMethods.Options], (HttpContext http, ResumableUploadService service) =>
            {
                var headers = http.Response.Headers;
                headers["Tus-Resumable"] = TusVersion;
                headers["Tus-Version"] = TusVersion;
                headers["Tus-Extension"] = Extensions;
                headers["Tus-Max-Size"] = service.MaxFileBytes.ToString(CultureInfo.InvariantCulture);
                headers["Tus-Checksum-Algorithm"] = string.Join(',', ResumableUploadService.ChecksumAlgorithms);
                return TypedResults.NoContent();
            })
            .WithName("getUploadCapabilities")
            .WithSummary("What the tus server supports: Tus-Version, Tus-Extension, Tus-Max-Size (Registry:Artifacts:MaxFileBytes), Tus-Checksum-Algorithm.");

        var protocol = tus.MapGroup("").AddEndpointFilter(RequireTusVersion)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);

        protocol.MapPost("/models/{name}/versions/{number:int}/uploads", CreateAsync)
            .WithName("createUpload")
            .WithSummary("Starts a resumable upload of one file (tus creation): Upload-Length, Upload-Metadata 'path <base64>' and optionally " +
                         "'sha256 <base64 of the hex digest>'; 201 with Location /api/v1/uploads/{id}. DataScientist, Admin; 409 version_frozen on a frozen version.")
            .Produces(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        protocol.MapMethods("/uploads/{id}", [HttpMethods.Head], HeadAsync)
            .WithName("getUploadOffset")
            .WithSummary("Where the upload stands: Upload-Offset (bytes kept), Upload-Length, Upload-Expires. Only its creator sees it (404 otherwise).")
            .Produces(StatusCodes.Status200OK);

        protocol.MapPatch("/uploads/{id}", PatchAsync)
            .WithName("appendToUpload")
            .WithSummary("Appends the body (application/offset+octet-stream) at Upload-Offset; 204 with the new Upload-Offset. The last byte " +
                         "commits the file as a PUT would. X-Checksum-Sha256 names the whole file's SHA-256 (a client that hashes while " +
                         "sending puts it on its last PATCH): saved before the body is read, 400 when it contradicts one declared before, " +
                         "422 (and the upload is gone) when the complete file has another hash. 409 when the offset is not the upload's or " +
                         "another request is writing to it; 460 when Upload-Checksum (sha1, sha256) does not match the chunk.")
            .RequestHeader(ArtifactsApi.ChecksumHeader, "The whole file's SHA-256 (64 hex digits), not this chunk's: checked when the last " +
                "byte arrives (422 and the upload is removed on a mismatch); it may be repeated but not changed (400).", "^[0-9a-fA-F]{64}$")
            .Accepts<Stream>(OffsetContentType)
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(ChecksumMismatchStatus);

        protocol.MapDelete("/uploads/{id}", DeleteAsync)
            .WithName("deleteUpload")
            .WithSummary("Ends the upload and removes its bytes (tus termination).")
            .Produces(StatusCodes.Status204NoContent);

        protocol.MapPost("/uploads/{id}", OverrideAsync)
            .WithName("overrideUploadMethod")
            .WithSummary("PATCH or DELETE for clients that cannot send those methods: POST with X-HTTP-Method-Override (tus core).")
            .Accepts<Stream>(OffsetContentType)
            .Produces(StatusCodes.Status204NoContent);
    }

    /// <summary>
    /// Every tus request names the protocol version (412 otherwise, with the versions spoken), and every answer,
    /// errors included, names the version spoken.
    /// </summary>
    private static async ValueTask<object?> RequireTusVersion(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        // At the start of the response: the exception handler clears headers set before it ran.
        http.Response.OnStarting(() =>
        {
            http.Response.Headers["Tus-Resumable"] = TusVersion;
            return Task.CompletedTask;
        });
        if (http.Request.Headers["Tus-Resumable"].ToString() != TusVersion)
        {
            http.Response.Headers["Tus-Version"] = TusVersion;
            return TypedResults.Problem(statusCode: StatusCodes.Status412PreconditionFailed, title: "Unsupported tus version",
                detail: $"Send Tus-Resumable: {TusVersion}; this server speaks tus {TusVersion}.");
        }

        return await next(context);
    }

    private static async Task<IResult> CreateAsync(string name, int number, HttpContext http, ResumableUploadService service,
        ClaimsPrincipal user, CancellationToken ct)
    {
        var request = http.Request.Headers;
        if (request.ContainsKey("Upload-Defer-Length"))
        {
            throw ValidationFailedException.For("Upload-Defer-Length", "Send Upload-Length: this server needs the length up front (no creation-defer-length).");
        }

        if (http.Request.ContentLength > 0)
        {
            throw ValidationFailedException.For("Content-Length", "Send the bytes with PATCH: this server does not take them with the creation (no creation-with-upload).");
        }

        var length = ParseLong(request["Upload-Length"].ToString(), "Upload-Length");
        var rawMetadata = request["Upload-Metadata"].ToString();
        var metadata = ParseMetadata(rawMetadata);
        if (!metadata.TryGetValue("path", out var path) || string.IsNullOrEmpty(path))
        {
            throw ValidationFailedException.For("Upload-Metadata", "Upload-Metadata must carry the file's path in the version: 'path <base64>'.");
        }

        metadata.TryGetValue("sha256", out var sha256);
        var upload = await service.CreateAsync(user.ToActor(), name, number,
            new NewResumableUpload(path, length, string.IsNullOrEmpty(sha256) ? null : sha256, string.IsNullOrEmpty(rawMetadata) ? null : rawMetadata), ct);
        http.Response.Headers["Upload-Expires"] = upload.ExpiresAt.ToString("R", CultureInfo.InvariantCulture);
        return TypedResults.Created(UploadUrl(upload.Id));
    }

    private static async Task<IResult> HeadAsync(string id, HttpContext http, ResumableUploadService service, ClaimsPrincipal user,
        CancellationToken ct)
    {
        var upload = await service.GetAsync(user.ToActor(), id, ct);
        var headers = http.Response.Headers;
        headers.CacheControl = "no-store";
        headers["Upload-Offset"] = upload.Offset.ToString(CultureInfo.InvariantCulture);
        headers["Upload-Length"] = upload.Length.ToString(CultureInfo.InvariantCulture);
        if (upload.Metadata is { } metadata)
        {
            headers["Upload-Metadata"] = metadata;
        }

        if (upload.Completed)
        {
            headers[ArtifactsApi.ChecksumHeader] = upload.Sha256;
        }
        else
        {
            headers["Upload-Expires"] = upload.ExpiresAt.ToString("R", CultureInfo.InvariantCulture);
        }

        return TypedResults.Ok();
    }

    /// <summary>
    /// Streams the body into the upload: nothing buffers it in memory, and the 1 MiB limit of the API group is lifted
    /// for this request up to <c>Registry:Artifacts:MaxFileBytes</c> (the service stops at the upload's length).
    /// </summary>
    private static async Task<IResult> PatchAsync(string id, HttpContext http, ResumableUploadService service, ClaimsPrincipal user,
        CancellationToken ct)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = service.MaxFileBytes;
        }

        var contentType = http.Request.ContentType;
        if (contentType is null || !contentType.Split(';')[0].Trim().Equals(OffsetContentType, StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: $"A PATCH to an upload carries Content-Type: {OffsetContentType}.");
        }

        var offset = ParseLong(http.Request.Headers["Upload-Offset"].ToString(), "Upload-Offset");
        var checksum = ParseChecksum(http.Request.Headers["Upload-Checksum"].ToString());
        var fileSha256 = http.Request.Headers[ArtifactsApi.ChecksumHeader].ToString();
        var result = await service.AppendAsync(user.ToActor(), id, offset, http.Request.Body, http.Request.ContentLength, checksum,
            string.IsNullOrWhiteSpace(fileSha256) ? null : fileSha256, ct);
        var headers = http.Response.Headers;
        headers["Upload-Offset"] = result.Upload.Offset.ToString(CultureInfo.InvariantCulture);
        if (result.Upload.Completed)
        {
            headers[ArtifactsApi.ChecksumHeader] = result.Upload.Sha256;
        }
        else
        {
            headers["Upload-Expires"] = result.Upload.ExpiresAt.ToString("R", CultureInfo.InvariantCulture);
        }

        return TypedResults.NoContent();
    }

    private static async Task<IResult> DeleteAsync(string id, ResumableUploadService service, ClaimsPrincipal user, CancellationToken ct)
    {
        await service.TerminateAsync(user.ToActor(), id, ct);
        return TypedResults.NoContent();
    }

    private static Task<IResult> OverrideAsync(string id, HttpContext http, ResumableUploadService service, ClaimsPrincipal user,
        CancellationToken ct) => http.Request.Headers["X-HTTP-Method-Override"].ToString().ToUpperInvariant() switch
        {
            "PATCH" => PatchAsync(id, http, service, user, ct),
            "DELETE" => DeleteAsync(id, service, user, ct),
            _ => throw ValidationFailedException.For("X-HTTP-Method-Override", "POST to an upload needs X-HTTP-Method-Override: PATCH or DELETE."),
        };

    internal static string UploadUrl(string id) => $"/api/v1/uploads/{id}";

    private static long ParseLong(string value, string header) =>
        value.Length is > 0 and <= 19 && value.All(char.IsAsciiDigit) && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw ValidationFailedException.For(header, $"{header} must be a non-negative integer.");

    /// <summary>
    /// <c>Upload-Metadata</c>: comma-separated <c>key base64value</c> pairs (the value may be left out), keys unique and
    /// free of spaces and commas. Values are decoded as UTF-8; anything else is 400.
    /// </summary>
    internal static Dictionary<string, string> ParseMetadata(string header)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(header))
        {
            return pairs;
        }

        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        foreach (var item in header.Split(','))
        {
            var parts = item.Trim().Split(' ');
            var key = parts[0];
            if (key.Length == 0 || parts.Length > 2 || !pairs.TryAdd(key, ""))
            {
                throw ValidationFailedException.For("Upload-Metadata", "Upload-Metadata is comma-separated 'key base64value' pairs with unique keys.");
            }

            if (parts.Length == 2)
            {
                try
                {
                    pairs[key] = utf8.GetString(Convert.FromBase64String(parts[1]));
                }
                catch (Exception e) when (e is FormatException or DecoderFallbackException)
                {
                    throw ValidationFailedException.For("Upload-Metadata", $"The value of '{key}' in Upload-Metadata is not base64 of UTF-8 text.");
                }
            }
        }

        return pairs;
    }

    /// <summary><c>Upload-Checksum: &lt;algorithm&gt; &lt;base64 digest&gt;</c>, or null when absent.</summary>
    private static ChunkChecksum? ParseChecksum(string header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }

        var parts = header.Trim().Split(' ', 2);
        try
        {
            if (parts.Length == 2 && parts[0].Length > 0)
            {
                return new ChunkChecksum(parts[0], Convert.FromBase64String(parts[1].Trim()));
            }
        }
        catch (FormatException)
        {
            // Reported below.
        }

        throw ValidationFailedException.For("Upload-Checksum", "Upload-Checksum is '<algorithm> <base64 digest>', e.g. 'sha256 47DEQpj8…'.");
    }
}
