using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Hub;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Hub;

/// <summary>A revision's tree (<c>tree/{revision}[/{path}]</c>) and the entries at given paths (<c>paths-info</c>).</summary>
internal static class HubTreeApi
{
    /// <summary>Entries per page of a tree (the Hub's own page size).</summary>
    public const int TreePageSize = 1000;

    /// <summary>Paths one paths-info request may ask about.</summary>
    public const int MaxPaths = 1000;

    public static void Map(RouteGroupBuilder hub, IEnumerable<HubApi.RepoForm> forms)
    {
        foreach (var form in forms)
        {
            hub.MapGet($"/api/models/{form.Template}/tree/{{revision}}/{{**path}}", (string model, string revision, string? path,
                HttpContext http, HubService service, ClaimsPrincipal user, CancellationToken ct) =>
                TreeAsync(HubApi.OwnerOf(form, http.Request), model, revision, path ?? "", http, service, user, ct));
            hub.MapPost($"/api/models/{form.Template}/paths-info/{{revision}}", (string model, string revision, HttpContext http,
                HubService service, ClaimsPrincipal user, CancellationToken ct) =>
                PathsInfoAsync(HubApi.OwnerOf(form, http.Request), model, revision, http, service, user, ct));
        }
    }

    /// <summary><c>?recursive=true</c> lists everything below; <c>?expand=true</c> adds each entry's <c>lastCommit</c>.</summary>
    private static async Task<IResult> TreeAsync(string? owner, string model, string revision, string path, HttpContext http,
        HubService service, ClaimsPrincipal user, CancellationToken ct)
    {
        var actor = user.ToActor();
        var resolved = await service.ResolveAsync(actor, owner, model, revision, ct);
        var entries = await service.TreeAsync(resolved, path, IsTrue(http.Request.Query["recursive"]), ct);
        var cursor = HubPaging.Cursor(http.Request);
        var expand = IsTrue(http.Request.Query["expand"]);
        var page = entries.Skip((cursor - 1) * TreePageSize).Take(TreePageSize).Select(e => (JsonNode)HubJson.Entry(e, expand ? resolved : null));
        if ((long)cursor * TreePageSize < entries.Count)
        {
            HubPaging.LinkNext(http, cursor + 1);
        }

        http.Response.Headers["X-Repo-Commit"] = resolved.Commit;
        return TypedResults.Json(new JsonArray([.. page]));
    }

    /// <summary>
    /// <c>{paths:[…], expand}</c> as JSON (@huggingface/hub) or as a form with repeated <c>paths</c> (huggingface_hub):
    /// the entries that exist, each with <c>lastCommit</c>; paths that do not exist are left out, as on the Hub.
    /// </summary>
    private static async Task<IResult> PathsInfoAsync(string? owner, string model, string revision, HttpContext http,
        HubService service, ClaimsPrincipal user, CancellationToken ct)
    {
        var paths = await ReadPathsAsync(http.Request, ct);
        var actor = user.ToActor();
        var resolved = await service.ResolveAsync(actor, owner, model, revision, ct);
        var entries = await service.PathsInfoAsync(resolved, paths, ct);
        http.Response.Headers["X-Repo-Commit"] = resolved.Commit;
        return TypedResults.Json(new JsonArray([.. entries.Select(e => (JsonNode)HubJson.Entry(e, resolved))]));
    }

    private static async Task<IReadOnlyList<string>> ReadPathsAsync(HttpRequest request, CancellationToken ct)
    {
        List<string> paths;
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(ct);
            paths = form["paths"].OfType<string>().ToList();
        }
        else
        {
            JsonNode? body;
            try
            {
                body = await JsonNode.ParseAsync(request.Body, cancellationToken: ct);
            }
            catch (JsonException e)
            {
                throw ValidationFailedException.For("paths", $"The body must be JSON {{\"paths\": [...]}} or a form with paths: {e.Message}");
            }

            paths = body?["paths"] switch
            {
                JsonArray array => array.Select(p => p?.GetValueKind() == JsonValueKind.String ? p.GetValue<string>() : null).OfType<string>().ToList(),
                JsonValue one when one.GetValueKind() == JsonValueKind.String => [one.GetValue<string>()],
                _ => throw ValidationFailedException.For("paths", "paths must be a list of file paths."),
            };
        }

        return paths.Count <= MaxPaths
            ? paths
            : throw ValidationFailedException.For("paths", $"Ask about at most {MaxPaths} paths at once.");
    }

    private static bool IsTrue(Microsoft.Extensions.Primitives.StringValues value) =>
        value.ToString() is "true" or "True" or "1";
}
