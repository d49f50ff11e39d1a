using System.Globalization;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.WebUtilities;

namespace ModelRegistry.Web.Hub;

/// <summary>
/// Lists page the way the Hub's do: the next page's absolute URL in <c>Link: &lt;…&gt;; rel="next"</c> (both clients follow
/// it; @huggingface/hub only takes absolute <c>http(s)</c> URLs), with the request's own query and <c>cursor</c> set.
/// </summary>
internal static class HubPaging
{
    public static void LinkNext(HttpContext http, int cursor)
    {
        var request = http.Request;
        var query = QueryHelpers.ParseQuery(request.QueryString.Value);
        query["cursor"] = cursor.ToString(CultureInfo.InvariantCulture);
        var builder = new QueryBuilder();
        foreach (var (key, values) in query)
        {
            foreach (var value in values)
            {
                builder.Add(key, value ?? "");
            }
        }

        var next = UriHelper.BuildAbsolute(request.Scheme, request.Host, request.PathBase, request.Path, builder.ToQueryString());
        http.Response.Headers.Link = $"<{next}>; rel=\"next\"";
    }

    /// <summary>The <c>cursor</c> of a request: how many pages precede this one (1 = the first page).</summary>
    public static int Cursor(HttpRequest request) =>
        int.TryParse(request.Query["cursor"], NumberStyles.None, CultureInfo.InvariantCulture, out var page) && page >= 1 ? page : 1;
}
