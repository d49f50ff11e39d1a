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

    /// <summary>The diff from <paramref name="oldText"/> to <paramref name="newText"/>.</summary>
    public static CardDiff Diff(string oldText, string newText, string fromLabel, string toLabel)
    {
        // The line break that ends the last line does not start another one.
        static string Lines(string? text) => text is null ? "" : text.EndsWith('\n') ? text[..^1] : text;
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
