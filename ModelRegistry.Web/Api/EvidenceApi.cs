using System.Security.Claims;
using System.Text;
using ModelRegistry.Core.Compliance;
using ModelRegistry.Core.Versions;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

/// <summary>A version's evidence pack as a download (HTML or markdown); any signed-in user, each export audited.</summary>
internal static class EvidenceApi
{
    public static void MapEvidence(this RouteGroupBuilder api)
    {
        api.MapGet("/models/{name}/versions/{number}/evidence", async (string name, string number, string? format,
                VersionReferences references, EvidencePackService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var kind = EvidencePackService.ParseFormat(format);
                var pack = await service.ExportAsync(user.ToActor(), name, await references.ResolveAsync(name, number, ct), kind, ct);
                var (text, contentType) = kind == EvidenceFormat.Html
                    ? (EvidenceHtmlRenderer.Render(pack), "text/html; charset=utf-8")
                    : (EvidenceMarkdownRenderer.Render(pack), "text/markdown; charset=utf-8");
                return TypedResults.File(Encoding.UTF8.GetBytes(text), contentType, pack.FileName(kind));
            })
            .RefuseEmbedding()
            .WithTags("Versions")
            .WithName("exportEvidencePack")
            .WithSummary("Exports the version's evidence pack")
            .WithDescription("HTML or markdown (format=html|md) as an attachment; each export is recorded as evidence.exported. 403 to a "
                + "cookie request that a page embedded or another site made.")
            .ParameterValues("format", "html", "md")
            .Produces<string>(StatusCodes.Status200OK, "text/html", "text/markdown")
            .ResponseHeader(StatusCodes.Status200OK, "Content-Disposition", "attachment; filename=\"evidence-{model}-v{n}-{time}.{html|md}\"")
            .ReadsVersionReference()
            .Problems(StatusCodes.Status403Forbidden, StatusCodes.Status507InsufficientStorage);
    }
}
