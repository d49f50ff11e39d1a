using System.Text.RegularExpressions;
using AngleSharp.Dom;
using Ganss.Xss;
using Markdig;

namespace ModelRegistry.Core.Cards;

/// <summary>
/// Turns card markdown into HTML that is safe to put in the dashboard: Markdig with the extensions card authors
/// expect (pipe tables, task lists, auto-links, strikethrough, YAML front matter, which is not shown), raw HTML
/// disabled (it is shown as text), and the result passed through an allow-list sanitiser that also limits link
/// and image targets to http, https and mailto. See docs/decisions/0005-sanitised-markdown.md.
/// One instance serves every thread: the sanitiser is configured once, in the constructor, and its Sanitize is
/// thread-safe as long as its configuration is not changed afterwards.
/// </summary>
public sealed partial class CardRenderer
{
    /// <summary>The one Markdig pipeline for cards: rendering, front matter and section outline read the same parse.</summary>
    public static MarkdownPipeline Pipeline { get; } = new MarkdownPipelineBuilder()
        .UseYamlFrontMatter()
        .UsePipeTables()
        .UseTaskLists()
        .UseAutoLinks()
        .UseEmphasisExtras(Markdig.Extensions.EmphasisExtras.EmphasisExtraOptions.Strikethrough)
        .DisableHtml()
        .Build();

    /// <summary>The only URL schemes a rendered card may link to or load from.</summary>
    public static IReadOnlyList<string> AllowedSchemes { get; } = ["http", "https", "mailto"];

    private static readonly string[] Tags =
    [
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "em", "strong", "del", "s",
        "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "input", "span", "sup", "sub",
    ];

    [GeneratedRegex(@"^(contains-task-list|task-list-item|task-list-item-checkbox|language-[A-Za-z0-9_+#-]{1,40})\z", RegexOptions.CultureInvariant)]
    private static partial Regex AllowedClass();

    private readonly HtmlSanitizer _sanitizer;

    public CardRenderer()
    {
        var options = new HtmlSanitizerOptions
        {
            AllowedTags = new HashSet<string>(Tags, StringComparer.OrdinalIgnoreCase),
            AllowedAttributes = new HashSet<string>(["href", "src", "alt", "title", "class", "type", "checked", "disabled", "start", "style"],
                StringComparer.OrdinalIgnoreCase),
            AllowedSchemes = new HashSet<string>(AllowedSchemes, StringComparer.OrdinalIgnoreCase),
            UriAttributes = new HashSet<string>(["href", "src"], StringComparer.OrdinalIgnoreCase),
            // Pipe tables align columns with style="text-align: …"; nothing else may be styled.
            AllowedCssProperties = new HashSet<string>(["text-align"], StringComparer.OrdinalIgnoreCase),
            AllowedAtRules = new HashSet<AngleSharp.Css.Dom.CssRuleType>(),
            AllowedClasses = new HashSet<string>(StringComparer.Ordinal),
        };
        _sanitizer = new HtmlSanitizer(options);
        _sanitizer.PostProcessNode += (_, e) =>
        {
            if (e.Node is not IElement element)
            {
                return;
            }

            if (element.ClassList.Length > 0)
            {
                // Only the classes Markdig writes: a card must not borrow the dashboard's own classes to dress up as UI.
                foreach (var c in element.ClassList.ToList().Where(c => !AllowedClass().IsMatch(c)))
                {
                    element.ClassList.Remove(c);
                }

                if (element.ClassList.Length == 0)
                {
                    element.RemoveAttribute("class");
                }
            }

            switch (element.LocalName)
            {
                case "a" when element.GetAttribute("href") is { } href && IsExternal(href):
                    element.SetAttribute("rel", "nofollow noopener noreferrer");
                    element.SetAttribute("target", "_blank");
                    break;
                case "input" when !string.Equals(element.GetAttribute("type"), "checkbox", StringComparison.OrdinalIgnoreCase):
                    element.Remove();
                    break;
                case "input":
                    element.SetAttribute("disabled", "disabled");
                    break;
            }
        };
    }

    /// <summary>Safe HTML for <paramref name="markdown"/>; the front matter is not part of it.</summary>
    public string ToHtml(string markdown)
    {
        var html = Markdown.ToHtml(markdown ?? "", Pipeline);
        return Sanitize(html);
    }

    /// <summary>Passes HTML through the card allow-list (exposed so tests can feed it HTML Markdig would never write).</summary>
    public string Sanitize(string html) => _sanitizer.Sanitize(html);

    private static bool IsExternal(string href) =>
        href.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || href.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
}
