using System.Net;
using System.Text.RegularExpressions;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>
/// Posts a form of a server-rendered account page as a browser does: it loads the page, then sends the form's
/// fields with the page's antiforgery token and the form's name (<c>_handler</c>), which Blazor's form binding needs.
/// </summary>
public static partial class AccountForms
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    internal static partial Regex TokenField();

    /// <summary>GETs <paramref name="path"/> and posts its form <paramref name="formName"/> back to it with <paramref name="fields"/>.</summary>
    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string formName,
        IReadOnlyDictionary<string, string>? fields = null)
    {
        var ct = TestContext.Current.CancellationToken;
        using var page = await client.GetAsync(path, ct);
        var html = await page.Content.ReadAsStringAsync(ct);
        var token = TokenField().Match(html);
        Assert.True(token.Success, $"GET {path} answered {(int)page.StatusCode} {page.Headers.Location} with no form to post");
        var form = new Dictionary<string, string>
        {
            ["_handler"] = formName,
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
        };
        foreach (var (key, value) in fields ?? new Dictionary<string, string>())
        {
            form[key] = value;
        }

        return await client.PostAsync(path, new FormUrlEncodedContent(form), ct);
    }

    /// <summary>The form's token from a page's HTML, for endpoints that take a plain form post (sign out).</summary>
    public static string Token(string html) => WebUtility.HtmlDecode(TokenField().Match(html).Groups[1].Value);
}
