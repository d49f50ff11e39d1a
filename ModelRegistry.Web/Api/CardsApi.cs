using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Versions;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

/// <summary>A version's model card as markdown: read (any revision), save as the next revision, list revisions, diff two.</summary>
internal static class CardsApi
{
    /// <summary>
    /// The card PUT's transport limit, just under Core's refusal at <see cref="CardService.MaxCardBytes"/>: any body
    /// of 10 MiB or more is stopped by the server before it is buffered, and anything smaller reaches Core's rules.
    /// </summary>
    public const long MaxCardRequestBytes = CardService.MaxCardBytes - 1;

    private const string MarkdownType = "text/markdown; charset=utf-8";

    /// <summary>What a save answers: the new revision, what the front matter says and what was imported from it.</summary>
    public sealed record CardSaved(
        int Revision,
        string Author,
        DateTimeOffset CreatedAt,
        string? Comment,
        int SizeBytes,
        string Sha256,
        CardMetadata Metadata,
        int MetricsImported,
        int MetricsUpdated,
        IReadOnlyList<string> MissingSections);

    public static void MapCards(this RouteGroupBuilder api)
    {
        var card = api.MapGroup("/models/{name}/versions/{number:int}/card").WithTags("Model cards");
        // Reads take a version reference (an alias, latest, a commit …); the save takes a number.
        var read = api.MapGroup("/models/{name}/versions/{number}/card").WithTags("Model cards");

        read.MapGet("/", async (string name, string number, int? revision, VersionReferences references, CardService cards,
            HttpResponse response, CancellationToken ct) =>
        {
            var resolved = await references.ResolveAsync(name, number, ct);
            var found = await cards.GetAsync(name, resolved, revision, ct)
                ?? throw new NotFoundException($"Version {resolved} of '{name}' has no model card yet.");
            response.Headers["X-Card-Revision"] = found.Revision.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
            response.Headers.ETag = $"\"{found.Revision.Sha256}\"";
            return TypedResults.Text(found.Markdown, MarkdownType, Encoding.UTF8);
        })
            .WithName("getModelCard")
            .WithSummary("Reads the version's model card")
            .WithDescription("The markdown of the newest revision, or of ?revision=; 404 when the version has no card yet.")
            .Produces<string>(StatusCodes.Status200OK, "text/markdown")
            .ResponseHeader(StatusCodes.Status200OK, "X-Card-Revision", "The revision answered.", "^[1-9][0-9]*$")
            .ResponseHeader(StatusCodes.Status200OK, "ETag", "The SHA-256 of the revision's markdown, quoted.")
            .ReadsVersionReference();

        card.MapPut("/", async (string name, int number, string? comment, HttpRequest request, CardService cards,
                ClaimsPrincipal user, CancellationToken ct) =>
            {
                var markdown = await ReadMarkdownAsync(request, ct);
                var saved = await cards.SaveAsync(user.ToActor(), name, number, markdown, comment, ct);
                var r = saved.Revision;
                return TypedResults.Ok(new CardSaved(r.Revision, r.Author, r.CreatedAt, r.Comment, r.SizeBytes, r.Sha256, saved.Metadata,
                    saved.MetricsImported, saved.MetricsUpdated, CardSections.Missing(markdown)));
            })
            .WithMetadata(new RequestSizeLimitAttribute(MaxCardRequestBytes))
            .Accepts<string>("text/markdown")
            .WithName("saveModelCard")
            .WithSummary("Saves the version's model card")
            .WithDescription("The markdown body becomes the next revision; the answer has the front matter as read, the model-index "
                + "results imported and the required sections still missing. 413 at 10 MiB or more.")
            .Changes()
            .Problems(StatusCodes.Status413PayloadTooLarge);

        read.MapGet("/revisions", async (string name, string number, VersionReferences references, CardService cards, CancellationToken ct) =>
                TypedResults.Ok(await cards.ListRevisionsAsync(name, await references.ResolveAsync(name, number, ct), ct)))
            .WithName("listModelCardRevisions")
            .WithSummary("Lists the card's revisions")
            .WithDescription("Author, time, comment, size and SHA-256 of each, newest first.")
            .ReadsVersionReference();

        read.MapGet("/diff", async (string name, string number, int from, int to, VersionReferences references, CardService cards,
                CancellationToken ct) => TypedResults.Ok(await cards.DiffAsync(name, await references.ResolveAsync(name, number, ct), from, to, ct)))
            .WithName("diffModelCard")
            .WithSummary("Compares two revisions of the card")
            .WithDescription("A line diff from revision from to revision to.")
            .ReadsVersionReference();
    }

    /// <summary>
    /// The body as strict UTF-8 text (a byte-order mark is dropped), read at most up to Core's limit so that even a
    /// host without a transport limit never buffers more.
    /// </summary>
    private static async Task<string> ReadMarkdownAsync(HttpRequest request, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read >= CardService.MaxCardBytes)
            {
                throw new PayloadTooLargeException($"A model card must be smaller than {CardService.MaxCardBytes / (1024 * 1024)} MiB.");
            }

            buffer.Write(chunk, 0, read);
        }

        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            bytes = bytes[3..];
        }

        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw ValidationFailedException.For("body", "The card must be UTF-8 text.");
        }
    }
}
