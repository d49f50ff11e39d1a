using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

/// <summary>
/// Downloads a page must not be able to make a browser fetch by itself. The dashboard cookie goes with every
/// same-site request, also the one an <c>&lt;img&gt;</c> in a model card makes: a card pointing at the evidence pack
/// would make every reader record an <c>evidence.exported</c> event, one pointing at the audit export would stream
/// the whole log into each Auditor's browser. A cookie-authenticated request to such an endpoint is refused (403)
/// when its fetch metadata (the <c>Sec-Fetch-*</c> headers every current browser sends to https and localhost
/// origins, and no page can forge) says it is a subresource (<c>Sec-Fetch-Mode: no-cors</c>, a destination other
/// than <c>document</c> or <c>empty</c>) or comes from another site. A click on the dashboard's own link
/// (<c>document</c>, or <c>empty</c> for a download) passes, and so does a bearer token, which no browser adds by
/// itself. Where browsers send no fetch metadata (plain http to another host), the card renderer's refusal of
/// <c>/api</c> images and links is the protection (<see cref="Core.Cards.CardRenderer"/>).
/// </summary>
internal static class EmbeddingGuard
{
    /// <summary>Refuses the endpoint to cookie requests that a page's markup, or another site, made.</summary>
    public static RouteHandlerBuilder RefuseEmbedding(this RouteHandlerBuilder builder) => builder.AddEndpointFilter(async (context, next) =>
        Refusal(context.HttpContext) is { } why
            ? TypedResults.Problem(title: "Embedded request refused", detail: why, statusCode: StatusCodes.Status403Forbidden)
            : await next(context));

    /// <summary>Why the request is refused, or null when it may go on.</summary>
    internal static string? Refusal(HttpContext context)
    {
        if (context.User.Identity is not { IsAuthenticated: true } identity || identity.AuthenticationType == ApiTokenAuthenticationHandler.SchemeName)
        {
            return null;
        }

        var headers = context.Request.Headers;
        var site = headers["Sec-Fetch-Site"].ToString();
        var mode = headers["Sec-Fetch-Mode"].ToString();
        var destination = headers["Sec-Fetch-Dest"].ToString();
        if (string.Equals(site, "cross-site", StringComparison.OrdinalIgnoreCase))
        {
            return "This download cannot be requested from another site; open it from the registry's own pages.";
        }

        return string.Equals(mode, "no-cors", StringComparison.OrdinalIgnoreCase)
            || (destination.Length > 0 && destination is not ("document" or "empty"))
            ? $"This download cannot be embedded in a page (Sec-Fetch-Dest: {(destination.Length > 0 ? destination : "unknown")}); " +
              "follow the registry's own link to it, or call it with a token."
            : null;
    }
}
