namespace ModelRegistry.Web.Hub;

/// <summary>
/// What this API does not do, answered with a reason instead of a bare 404: datasets and spaces (the registry holds
/// models only), and every write (uploads, commits, repo creation: versions are made, reviewed and frozen through the
/// REST API and the dashboard, where the lifecycle rules apply). docs/hub-compat.md, "Not supported".
/// </summary>
internal static class HubUnsupported
{
    public static void Map(RouteGroupBuilder hub)
    {
        foreach (var kind in new[] { "datasets", "spaces" })
        {
            foreach (var prefix in new[] { $"/api/{kind}", $"/{kind}" })
            {
                hub.MapMethods(prefix + "/{**rest}", [HttpMethods.Get, HttpMethods.Head], (HttpContext http) =>
                {
                    http.Response.Headers[HubErrors.CodeHeader] = "RepoNotFound";
                    http.Response.Headers[HubErrors.MessageHeader] = $"This registry serves models only; there are no {kind}.";
                    return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                        detail: $"This registry serves models only; there are no {kind}.");
                });
            }
        }

        // Lowest precedence: paths-info, the one POST of this API, still matches first.
        hub.MapMethods("/{**rest}", [HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete], (HttpContext http) =>
        {
            http.Response.Headers.Allow = "GET, HEAD";
            return TypedResults.Problem(statusCode: StatusCodes.Status405MethodNotAllowed, title: "Read-only",
                detail: "The Hub-compatible API only reads. Upload files and make versions through the registry's REST API "
                        + "(/api/v1) or the dashboard, where review and approval apply.");
        });
    }
}
