using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace ModelRegistry.Core.Cards;

/// <summary>Line diffs of card texts with DiffPlex, collapsed to the changes and a little context.</summary>
public static class CardDiffer
{
    /// <summary>Unchanged lines kept on each side of a change.</summary>
    public const int ContextLines = 3;

    /// <summary>Lines a diff shows at most; past that it is marked truncated.</summary>
    public const int MaxLines = 5000;

    /// <summary>
    /// Changed lines (old and new, between the common head and tail) past which the change is not compared line by
    /// line: DiffPlex's work grows with the changed lines times the differences, so two unrelated texts of a hundred
    /// thousand lines each would cost minutes. Past this the changed part shows as removed, then added
    /// (<see cref="CardDiff.Coarse"/>).
    /// </summary>
    public const int MaxComparedLines = 10_000;

    /// <summary>The diff from <paramref name="oldText"/> to <paramref name="newText"/>.</summary>
    public static CardDiff Diff(string oldText, string newText, string fromLabel, string toLabel)
    {
        // The line break that ends the last line does not start another one.
        static string Lines(string? text) => text is null ? "" : text.EndsWith('\n') ? text[..^1] : text;
        var oldLines = Lines(oldText).Split('\n');
        var newLines = Lines(newText).Split('\n');
        int head = 0, tail = 0;
        while (head < oldLines.Length && head < newLines.Length && oldLines[head] == newLines[head])
        {
            head++;
        }

        while (tail < oldLines.Length - head && tail < newLines.Length - head
            && oldLines[oldLines.Length - 1 - tail] == newLines[newLines.Length - 1 - tail])
        {
            tail++;
        }

        if (oldLines.Length + newLines.Length - (2 * (head + tail)) > MaxComparedLines)
        {
            return CoarseDiff(oldLines, newLines, head, tail, fromLabel, toLabel);
        }

        var model = InlineDiffBuilder.Diff(Lines(oldText), Lines(newText), ignoreWhiteSpace: false, ignoreCase: false);
        var all = new List<DiffLine>(model.Lines.Count);
        int oldNumber = 0, newNumber = 0, added = 0, removed = 0;
        foreach (var piece in model.Lines)
        {
            switch (piece.Type)
            {
                case ChangeType.Inserted:
                    all.Add(new DiffLine(DiffLineKind.Added, null, ++newNumber, piece.Text ?? ""));
                    added++;
                    break;
                case ChangeType.Deleted:
                    all.Add(new DiffLine(DiffLineKind.Removed, ++oldNumber, null, piece.Text ?? ""));
                    removed++;
                    break;
                case ChangeType.Imaginary:
                    break;
                default:
                    all.Add(new DiffLine(DiffLineKind.Unchanged, ++oldNumber, ++newNumber, piece.Text ?? ""));
                    break;
            }
        }

        var shown = Collapse(all, out var truncated);
        return new CardDiff(fromLabel, toLabel, added, removed, shown, truncated);
    }

    /// <summary>The common head and tail unchanged, everything between them removed from the old text and added in the new one.</summary>
    private static CardDiff CoarseDiff(string[] oldLines, string[] newLines, int head, int tail, string fromLabel, string toLabel)
    {
        var all = new List<DiffLine>(oldLines.Length + newLines.Length - head - tail);
        for (var i = 0; i < head; i++)
        {
            all.Add(new DiffLine(DiffLineKind.Unchanged, i + 1, i + 1, oldLines[i]));
        }

        for (var i = head; i < oldLines.Length - tail; i++)
        {
            all.Add(new DiffLine(DiffLineKind.Removed, i + 1, null, oldLines[i]));
        }

        for (var i = head; i < newLines.Length - tail; i++)
        {
            all.Add(new DiffLine(DiffLineKind.Added, null, i + 1, newLines[i]));
        }

        for (var i = tail; i > 0; i--)
        {
            all.Add(new DiffLine(DiffLineKind.Unchanged, oldLines.Length - i + 1, newLines.Length - i + 1, oldLines[^i]));
        }

        var shown = Collapse(all, out var truncated);
        return new CardDiff(fromLabel, toLabel, newLines.Length - head - tail, oldLines.Length - head - tail, shown, truncated)
        {
            Coarse = true,
        };
    }

    /// <summary>Keeps changed lines and <see cref="ContextLines"/> around them; each longer unchanged run becomes one gap.</summary>
    private static List<DiffLine> Collapse(List<DiffLine> all, out bool truncated)
    {
        var keep = new bool[all.Count];
        for (var i = 0; i < all.Count; i++)
        {
            if (all[i].Kind == DiffLineKind.Unchanged)
            {
                continue;
            }

            for (var j = Math.Max(0, i - ContextLines); j <= Math.Min(all.Count - 1, i + ContextLines); j++)
            {
                keep[j] = true;
            }
        }

        var shown = new List<DiffLine>();
        truncated = false;
        var skipped = 0;
        for (var i = 0; i < all.Count; i++)
        {
            if (!keep[i])
            {
                skipped++;
                continue;
            }

            if (skipped > 0)
            {
                shown.Add(new DiffLine(DiffLineKind.Gap, null, null, "", skipped));
                skipped = 0;
            }

            if (shown.Count >= MaxLines)
            {
                truncated = true;
                return shown;
            }

            shown.Add(all[i]);
        }

        if (skipped > 0 && shown.Count > 0)
        {
            shown.Add(new DiffLine(DiffLineKind.Gap, null, null, "", skipped));
        }

        return shown;
    }
}
