using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Primitives;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Hub;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Hub;

/// <summary><c>whoami-v2</c>, the model list, a model's info and its refs.</summary>
internal static class HubModelsApi
{
    /// <summary>Models per page when the client does not say (the Hub's default is larger; our pages stop at 200).</summary>
    private const int DefaultLimit = 50;

    public static void Map(RouteGroupBuilder hub, IEnumerable<HubApi.RepoForm> forms)
    {
        hub.MapGet("/api/whoami-v2", async (HubService service, ClaimsPrincipal user, CancellationToken ct) =>
            TypedResults.Json(HubJson.WhoAmI(await service.WhoAmIAsync(user.ToActor(), ct), service.Namespace,
                user.Identity?.AuthenticationType == ApiTokenAuthenticationHandler.SchemeName)));

        hub.MapGet("/api/models", ListAsync);

        foreach (var form in forms)
        {
            hub.MapGet($"/api/models/{form.Template}", (string model, HttpRequest request, HubService service, ClaimsPrincipal user,
                CancellationToken ct) => InfoAsync(HubApi.OwnerOf(form, request), model, HubRevisionNames.Main, request, service, user, ct));
            hub.MapGet($"/api/models/{form.Template}/revision/{{revision}}", (string model, string revision, HttpRequest request,
                HubService service, ClaimsPrincipal user, CancellationToken ct) =>
                InfoAsync(HubApi.OwnerOf(form, request), model, revision, request, service, user, ct));
            hub.MapGet($"/api/models/{form.Template}/refs", async (string model, HttpRequest request, HubService service,
                    ClaimsPrincipal user, CancellationToken ct) =>
                TypedResults.Json(HubJson.Refs(await service.RefsAsync(user.ToActor(), HubApi.OwnerOf(form, request), model, ct),
                    pullRequests: request.Query.ContainsKey("include_prs"))));
        }
    }

    private static async Task<IResult> InfoAsync(string? owner, string model, string revision, HttpRequest request, HubService service,
        ClaimsPrincipal user, CancellationToken ct)
    {
        var actor = user.ToActor();
        var resolved = await service.ResolveAsync(actor, owner, model, revision, ct);
        var repo = await service.GetRepoAsync(resolved, ct);
        request.HttpContext.Response.Headers["X-Repo-Commit"] = resolved.Commit;
        return TypedResults.Json(HubJson.Model(repo, Expand(request.Query)));
    }

    /// <summary>
    /// <c>?search=&amp;author=&amp;filter=&amp;pipeline_tag=&amp;sort=&amp;direction=&amp;limit=&amp;expand=</c>; pages of
    /// <c>limit</c> (at most 200) linked with <c>Link: &lt;…&gt;; rel="next"</c>.
    /// </summary>
    private static async Task<IResult> ListAsync(HttpContext http, HubService service, ClaimsPrincipal user, CancellationToken ct)
    {
        var query = http.Request.Query;
        var limit = Math.Clamp(Int(query["limit"], "limit") ?? DefaultLimit, 1, PageRequest.MaxPageSize);
        var page = Int(query["cursor"], "cursor") ?? 1;
        bool? descending = query["direction"].ToString() switch
        {
            "-1" => true,
            "1" => false,
            _ => null,
        };
        var filters = query["filter"].Where(f => !string.IsNullOrWhiteSpace(f)).ToList();
        if (filters.Count > 1)
        {
            throw ValidationFailedException.For("filter", "This registry filters the model list by one tag at a time.");
        }

        var actor = user.ToActor();
        var result = await service.ListModelsAsync(actor, new HubModelQuery(
            NullIfEmpty(query["search"]), NullIfEmpty(query["author"]), filters.FirstOrDefault(), NullIfEmpty(query["pipeline_tag"]),
            NullIfEmpty(query["sort"]), descending, page, limit), ct);

        var expand = Expand(query);
        var needsRepo = expand.Any(f => !HubJson.SummaryFields.Contains(f));
        var items = new JsonArray();
        foreach (var model in result.Items)
        {
            var repo = needsRepo && model.Commit is not null
                ? await service.GetRepoAsync(await service.ResolveAsync(actor, service.Namespace, model.ModelName, HubRevisionNames.Main, ct), ct)
                : null;
            items.Add(HubJson.ListItem(model, repo, expand));
        }

        if (result.HasMore)
        {
            HubPaging.LinkNext(http, page + 1);
        }

        return TypedResults.Json(items);
    }

    /// <summary><c>expand=a&amp;expand=b</c>, also as <c>expand[]=</c> (repoExists sends that).</summary>
    internal static IReadOnlyCollection<string> Expand(IQueryCollection query) =>
        query["expand"].Concat(query["expand[]"]).OfType<string>().Where(e => e.Length > 0).ToHashSet(StringComparer.Ordinal);

    private static string? NullIfEmpty(StringValues value) => string.IsNullOrWhiteSpace(value) ? null : value.ToString();

    private static int? Int(StringValues value, string name)
    {
        if (StringValues.IsNullOrEmpty(value))
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1
            ? n
            : throw ValidationFailedException.For(name, $"{name} must be a whole number from 1.");
    }
}
