using System.Text.RegularExpressions;

namespace ModelRegistry.Web.Api;

/// <summary>
/// Writes to a version take its number; only reads take a reference (docs/design.md, "Version references"). A write sent
/// to <c>…/versions/champion/…</c> matches no write route, so routing answers a bare 404 or 405; this explains it in
/// the problem details the status-code pages write for it, and points at the read that tells the number.
/// </summary>
internal static partial class WriteByReference
{
    [GeneratedRegex(@"^/api/v1/models/(?<model>[^/]+)/versions/(?<reference>[^/]+)(/|\z)", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex VersionPath();

    /// <summary>For <see cref="ProblemDetailsOptions.CustomizeProblemDetails"/>: fills in the detail of such a refusal.</summary>
    public static void Explain(ProblemDetailsContext context)
    {
        var request = context.HttpContext.Request;
        var problem = context.ProblemDetails;
        // Only the bare statuses of routing: a 404 from Core (unknown model, version …) has its own detail already.
        if (problem.Detail is not null || problem.Status is not (StatusCodes.Status404NotFound or StatusCodes.Status405MethodNotAllowed)
            || HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        {
            return;
        }

        var match = VersionPath().Match(request.Path.Value ?? "");
        if (!match.Success || match.Groups["reference"].Value.All(char.IsAsciiDigit))
        {
            return;
        }

        var model = match.Groups["model"].Value;
        var reference = match.Groups["reference"].Value;
        problem.Title = "Version number required";
        problem.Detail = $"A change to a version takes its number (…/versions/3/…), not a reference such as '{Clip(reference)}': "
            + $"a reference may point at another version by the time the change lands. GET /api/v1/models/{model}/versions/{reference} "
            + "tells the number it names now.";
        problem.Extensions["code"] = "version_number_required";
    }

    private static string Clip(string s) => s.Length > 80 ? s[..80] + "…" : s;
}
