using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace ModelRegistry.Core.Cards;

/// <summary>The sections the lifecycle policy requires of a card before Production, and which of them a card lacks.</summary>
public static class CardSections
{
    /// <summary>Headings a card needs (docs/design.md, "Lifecycle policy"), in the order the template writes them.</summary>
    public static IReadOnlyList<string> Required { get; } = ["Intended use", "Limitations", "Training data", "Evaluation"];

    /// <summary>The headings of <paramref name="markdown"/>, as plain text (none when the card is too costly to parse).</summary>
    public static IReadOnlyList<string> Headings(string markdown) =>
        CardMarkdown.TryParse(markdown ?? "", out var document, out _)
            ? document.Descendants<HeadingBlock>().Select(h => PlainText(h.Inline).Trim()).Where(t => t.Length > 0).ToList()
            : [];

    /// <summary>The required sections with no heading of that name (any level, any letter case) in <paramref name="markdown"/>.</summary>
    public static IReadOnlyList<string> Missing(string markdown) => Missing(markdown, Required);

    /// <summary>The sections of <paramref name="required"/> with no heading of that name in <paramref name="markdown"/>.</summary>
    public static IReadOnlyList<string> Missing(string markdown, IEnumerable<string> required)
    {
        var headings = Headings(markdown).Select(h => h.TrimEnd(':').Trim()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return required.Where(r => !headings.Contains(r.Trim())).ToList();
    }

    private static string PlainText(ContainerInline? inline)
    {
        if (inline is null)
        {
            return "";
        }

        var text = new System.Text.StringBuilder();
        foreach (var child in inline.Descendants())
        {
            switch (child)
            {
                case LiteralInline literal:
                    text.Append(literal.Content.ToString());
                    break;
                case CodeInline code:
                    text.Append(code.Content);
                    break;
            }
        }

        return text.ToString();
    }
}
