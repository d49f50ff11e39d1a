using System.Text;
using Microsoft.AspNetCore.Diagnostics;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Hub;

namespace ModelRegistry.Web.Hub;

/// <summary>
/// The Hub's error headers on <c>/hf</c>: a repo, revision or file that does not exist is 404 with <c>X-Error-Code</c>
/// (<c>RepoNotFound</c>, <c>RevisionNotFound</c>, <c>EntryNotFound</c>) and <c>X-Error-Message</c>, which clients read
/// to tell them apart (an optional file is absent only on <c>EntryNotFound</c>). The body is problem details with an
/// <c>error</c> member (what huggingface_hub shows); a HEAD answer has no body. Other failures go to the registry's
/// exception handler like any API failure.
/// </summary>
internal sealed class HubErrors : IEndpointFilter
{
    public const string CodeHeader = "X-Error-Code";
    public const string MessageHeader = "X-Error-Message";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (NotFoundException e) when (WireCode(e.Code) is { } code)
        {
            return NotFound(context.HttpContext, code, e.Message);
        }
    }

    /// <summary>The Hub's name for one of Core's codes.</summary>
    public static string? WireCode(string? code) => code switch
    {
        HubService.Code.RepoNotFound => "RepoNotFound",
        HubService.Code.RevisionNotFound => "RevisionNotFound",
        HubService.Code.EntryNotFound => "EntryNotFound",
        _ => null,
    };

    private static IResult NotFound(HttpContext http, string code, string message)
    {
        http.Response.Headers[CodeHeader] = code;
        http.Response.Headers[MessageHeader] = HeaderSafe(message);
        if (HttpMethods.IsHead(http.Request.Method))
        {
            // Headers only: no problem-details body either (the status-code page would write one).
            if (http.Features.Get<IStatusCodePagesFeature>() is { } pages)
            {
                pages.Enabled = false;
            }

            return TypedResults.StatusCode(StatusCodes.Status404NotFound);
        }

        return TypedResults.Problem(detail: message, statusCode: StatusCodes.Status404NotFound, title: "Not found",
            extensions: new Dictionary<string, object?> { ["error"] = message, ["code"] = code });
    }

    /// <summary>A header value: printable ASCII only (a repo id or path a client sent may hold anything).</summary>
    private static string HeaderSafe(string value)
    {
        var safe = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            safe.Append(c is >= ' ' and <= '~' ? c : '?');
        }

        return safe.ToString();
    }
}
