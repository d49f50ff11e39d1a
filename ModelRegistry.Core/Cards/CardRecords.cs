namespace ModelRegistry.Core.Cards;

/// <summary>A revision of a model card as lists show it (without its text).</summary>
public sealed record CardRevisionInfo(
    int Revision,
    string Author,
    DateTimeOffset CreatedAt,
    string? Comment,
    int SizeBytes,
    string Sha256);

/// <summary>A model card at one revision: its text and who wrote it when.</summary>
public sealed record ModelCard(string ModelName, int Version, CardRevisionInfo Revision, string Markdown);

/// <summary>What saving a card did: the new revision, what its front matter says, and the evaluation results it imported.</summary>
/// <param name="Revision">The revision the save created.</param>
/// <param name="Metadata">The front matter as parsed, with any problems found in it.</param>
/// <param name="MetricsImported">Results from <c>model-index</c> recorded for the first time.</param>
/// <param name="MetricsUpdated">Results from <c>model-index</c> whose value changed since the last import.</param>
public sealed record CardSaveResult(CardRevisionInfo Revision, CardMetadata Metadata, int MetricsImported, int MetricsUpdated);

/// <summary>How a line of a diff differs.</summary>
public enum DiffLineKind
{
    Unchanged,
    Added,
    Removed,

    /// <summary>A run of unchanged lines left out; <see cref="DiffLine.Text"/> is empty and <see cref="DiffLine.Skipped"/> says how many.</summary>
    Gap,
}

/// <summary>One line of a unified diff, numbered in the old and/or the new text.</summary>
public sealed record DiffLine(DiffLineKind Kind, int? OldNumber, int? NewNumber, string Text, int Skipped = 0);

/// <summary>A line diff of two texts: changed lines with a few lines of context, long unchanged runs collapsed to gaps.</summary>
/// <param name="FromLabel">What the old text is, e.g. "revision 2" or "v1".</param>
/// <param name="ToLabel">What the new text is.</param>
/// <param name="Added">Lines only in the new text.</param>
/// <param name="Removed">Lines only in the old text.</param>
/// <param name="Lines">The lines to show.</param>
/// <param name="Truncated">True when the diff had more changed lines than are shown.</param>
public sealed record CardDiff(string FromLabel, string ToLabel, int Added, int Removed, IReadOnlyList<DiffLine> Lines, bool Truncated = false)
{
    public bool Identical => Added == 0 && Removed == 0;

    /// <summary>
    /// True when the changed part was too long to compare line by line (<see cref="CardDiffer.MaxComparedLines"/>): it
    /// is shown as removed, then added, and the counts are its lengths.
    /// </summary>
    public bool Coarse { get; init; }
}
