using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Cards;

/// <summary>
/// One saved state of a version's model card. Revisions are never changed or deleted: every save adds the next
/// one, so any two can be read and diffed later. The version's card is its newest revision.
/// </summary>
public sealed class CardRevision
{
    private CardRevision() { }

    internal CardRevision(ModelVersion version, int number, string markdown, string sha256, int sizeBytes,
        string authorUserId, string author, DateTimeOffset createdAt, string? comment)
    {
        Version = version;
        VersionId = version.Id;
        Number = number;
        Markdown = markdown;
        Sha256 = sha256;
        SizeBytes = sizeBytes;
        AuthorUserId = authorUserId;
        Author = author;
        CreatedAt = createdAt;
        Comment = comment;
    }

    public long Id { get; private set; }
    public long VersionId { get; private set; }
    public ModelVersion Version { get; private set; } = null!;

    /// <summary>1, 2, 3 … per version.</summary>
    public int Number { get; private set; }

    /// <summary>The card's full text, front matter included, with line breaks normalised to <c>\n</c>.</summary>
    public string Markdown { get; private set; } = "";

    /// <summary>Lowercase hex SHA-256 of the UTF-8 text; the audit event carries it instead of the text.</summary>
    public string Sha256 { get; private set; } = "";

    /// <summary>Length of the UTF-8 text in bytes.</summary>
    public int SizeBytes { get; private set; }

    public string AuthorUserId { get; private set; } = "";
    public string Author { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>What the author said about the change, if anything.</summary>
    public string? Comment { get; private set; }
}
