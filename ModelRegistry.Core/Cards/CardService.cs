using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Cards;

/// <summary>
/// A version's model card: every save is a new revision (author, time, comment); any revision can be read and
/// any two diffed. Saving imports the front matter's <c>model-index</c> results as evaluation results.
/// </summary>
public sealed class CardService(
    IDbContextFactory<RegistryDbContext> dbFactory,
    VersionWriter writer)
{
    /// <summary>A card of this many UTF-8 bytes or more is refused (413).</summary>
    public const int MaxCardBytes = 10 * 1024 * 1024;

    public const int MaxCommentLength = 500;

    /// <summary>The card at <paramref name="revision"/> (default: the newest), or null when the version has no card yet.</summary>
    /// <exception cref="NotFoundException">The model, the version or the revision does not exist.</exception>
    public async Task<ModelCard?> GetAsync(string modelName, int number, int? revision = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var versionId = await db.RequireVersionIdAsync(modelName, number, ct);
        var revisions = db.CardRevisions.AsNoTracking().Where(r => r.VersionId == versionId);
        var row = revision is { } wanted
            ? await revisions.SingleOrDefaultAsync(r => r.Number == wanted, ct)
                ?? throw new NotFoundException($"The card of '{modelName}' v{number} has no revision {wanted}.")
            : await revisions.OrderByDescending(r => r.Number).FirstOrDefaultAsync(ct);
        return row is null ? null : new ModelCard(modelName, number, ToInfo(row), row.Markdown);
    }

    /// <summary>The card's revisions, newest first (without their text).</summary>
    public async Task<IReadOnlyList<CardRevisionInfo>> ListRevisionsAsync(string modelName, int number, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var versionId = await db.RequireVersionIdAsync(modelName, number, ct);
        return await db.CardRevisions.AsNoTracking().Where(r => r.VersionId == versionId).OrderByDescending(r => r.Number)
            .Select(r => new CardRevisionInfo(r.Number, r.Author, r.CreatedAt, r.Comment, r.SizeBytes, r.Sha256))
            .ToListAsync(ct);
    }

    /// <summary>
    /// Saves <paramref name="markdown"/> as the card's next revision. DataScientist or Admin. A card of
    /// <see cref="MaxCardBytes"/> or more is refused (413); front matter that cannot be read does not stop the save
    /// (the result's metadata says what is wrong), but a text too costly to render is refused (400, see
    /// <see cref="CardMarkdown"/>). The front matter's model-index results are imported in the same
    /// transaction, and the save is one <c>card.revised</c> audit event.
    /// </summary>
    public async Task<CardSaveResult> SaveAsync(Actor actor, string modelName, int number, string? markdown, string? comment,
        CancellationToken ct = default)
    {
        var text = Normalize(markdown);
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes >= MaxCardBytes)
        {
            throw new PayloadTooLargeException($"A model card must be smaller than {MaxCardBytes / (1024 * 1024)} MiB.");
        }

        if (text.Any(c => char.IsControl(c) && c is not ('\n' or '\t')))
        {
            throw ValidationFailedException.For("markdown", "A model card may not contain control characters other than line breaks and tabs.");
        }

        var note = Input.Line("comment", comment, MaxCommentLength);
        // Before anything else reads the text with Markdig: a hostile shape would cost minutes of CPU (CardMarkdown).
        if (!CardMarkdown.TryParse(text, out var document, out var problem))
        {
            throw ValidationFailedException.For("markdown", problem);
        }

        var metadata = CardFrontMatter.Parse(text, document);
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (revision, added, updated) = await writer.ChangeAsync(db, actor, modelName, number, VersionWriteKind.Content, async change =>
        {
            var (version, now) = (change.Version, change.Now);
            var versionId = version.Id;
            var next = (await db.CardRevisions.Where(r => r.VersionId == versionId).MaxAsync(r => (int?)r.Number, ct) ?? 0) + 1;
            var row = new CardRevision(version, next, text, sha, bytes, actor.UserId, actor.DisplayName, now, note);
            db.CardRevisions.Add(row);
            var (added, updated) = await EvaluationService.ImportModelIndexAsync(db, version, metadata.Results, actor, now, ct);
            var metadataFilled = MetadataProvenance.FromCard(version, metadata);
            version.Touch(now);
            change.Audit(AuditActions.CardRevised, AuditEntities.Version, $"{modelName}/{number}",
                new
                {
                    revision = next,
                    comment = note,
                    bytes,
                    sha256 = sha,
                    metricsImported = added,
                    metricsUpdated = updated,
                    metadataFromCard = metadataFilled.Count == 0 ? null : metadataFilled,
                    frontMatterProblems = metadata.Problems.Count == 0 ? null : metadata.Problems,
                });
            return (row, added, updated);
        }, ct);

        return new CardSaveResult(ToInfo(revision), metadata, added, updated);
    }

    /// <summary>The line diff from revision <paramref name="fromRevision"/> to <paramref name="toRevision"/> of one card.</summary>
    public async Task<CardDiff> DiffAsync(string modelName, int number, int fromRevision, int toRevision, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var versionId = await db.RequireVersionIdAsync(modelName, number, ct);
        var texts = await db.CardRevisions.AsNoTracking()
            .Where(r => r.VersionId == versionId && (r.Number == fromRevision || r.Number == toRevision))
            .Select(r => new { r.Number, r.Markdown }).ToListAsync(ct);
        string Text(int n) => texts.SingleOrDefault(t => t.Number == n)?.Markdown
            ?? throw new NotFoundException($"The card of '{modelName}' v{number} has no revision {n}.");
        return CardDiffer.Diff(Text(fromRevision), Text(toRevision), $"revision {fromRevision}", $"revision {toRevision}");
    }

    /// <summary>
    /// Starts a new version's card as a copy of the newest card among the model's earlier versions, inside the
    /// transaction that creates the version (called by <see cref="VersionService.CreateAsync"/>). The copy's
    /// model-index results are not imported: they are the earlier version's numbers. Returns the number of the
    /// version copied from, or null when no earlier version has a card.
    /// </summary>
    /// <summary>Starts <paramref name="version"/>'s card as a copy of <paramref name="origin"/>'s current card, if it has one.</summary>
    internal static Task<int?> CopyCardOfAsync(RegistryDbContext db, ModelVersion origin, ModelVersion version, Actor actor,
        DateTimeOffset now, CancellationToken ct) =>
        CopyFirstAsync(db.CardRevisions.AsNoTracking().Where(r => r.VersionId == origin.Id).OrderByDescending(r => r.Number),
            db, version, actor, now, ct);

    /// <summary>Starts <paramref name="version"/>'s card as a copy of the newest card of an earlier version, if any has one.</summary>
    internal static Task<int?> CopyPreviousCardAsync(RegistryDbContext db, ModelVersion version, Actor actor, DateTimeOffset now,
        CancellationToken ct) =>
        CopyFirstAsync(db.CardRevisions.AsNoTracking()
                .Where(r => r.Version.ModelId == version.ModelId && r.Version.Number < version.Number)
                .OrderByDescending(r => r.Version.Number).ThenByDescending(r => r.Number),
            db, version, actor, now, ct);

    /// <summary>Adds the first revision of <paramref name="candidates"/> as revision 1 of <paramref name="version"/>'s card.</summary>
    private static async Task<int?> CopyFirstAsync(IQueryable<CardRevision> candidates, RegistryDbContext db, ModelVersion version,
        Actor actor, DateTimeOffset now, CancellationToken ct)
    {
        var card = await candidates
            .Select(r => new { r.Version.Number, Revision = r.Number, r.Markdown, r.Sha256, r.SizeBytes })
            .FirstOrDefaultAsync(ct);
        if (card is null)
        {
            return null;
        }

        db.CardRevisions.Add(new CardRevision(version, 1, card.Markdown, card.Sha256, card.SizeBytes, actor.UserId,
            actor.DisplayName, now, $"Copied from the card of v{card.Number} (revision {card.Revision})"));
        return card.Number;
    }

    /// <summary>Line breaks as <c>\n</c>, so diffs and hashes do not depend on the author's operating system.</summary>
    internal static string Normalize(string? markdown) =>
        (markdown ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');

    private static CardRevisionInfo ToInfo(CardRevision r) => new(r.Number, r.Author, r.CreatedAt, r.Comment, r.SizeBytes, r.Sha256);
}
