using System.Net;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using Ganss.Xss;
using Markdig;

namespace ModelRegistry.Core.Cards;

/// <summary>
/// Turns card markdown into HTML that is safe to put in the dashboard: Markdig with the extensions card authors
/// expect (pipe tables, task lists, auto-links, strikethrough, YAML front matter, which is not shown), raw HTML
/// disabled (it is shown as text), and the result passed through an allow-list sanitiser that also limits link
/// and image targets to http, https and mailto, and keeps them off the registry's own API but for a version's files
/// (<see cref="PointsIntoTheApi"/>). See docs/decisions/0005-sanitised-markdown.md.
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
                case "img" when element.GetAttribute("src") is { } src && PointsIntoTheApi(src, anyHost: true):
                    element.RemoveAttribute("src");
                    break;
                case "a" when element.GetAttribute("href") is { } href && PointsIntoTheApi(href, anyHost: false):
                    element.RemoveAttribute("href");
                    break;
                case "a" when element.GetAttribute("href") is { } href && IsExternal(href):
                    element.SetAttribute("rel", "nofollow noopener noreferrer");
                    element.SetAttribute("target", "_blank");
                    break;
                case "input" when !string.Equals(element.GetAttribute("type"), "checkbox", StringComparison.OrdinalIgnoreCase):
                    element.Remove();
                    break;
                case "input":
                    element.SetAttribute("disabled", "disabled");
                    // A task-list box is named by its item's text (set as an attribute: AngleSharp encodes it).
                    element.SetAttribute("aria-label", TaskLabel(element));
                    break;
            }
        };
    }

    /// <summary>
    /// Safe HTML for <paramref name="markdown"/>; the front matter is not part of it. A card too costly to render
    /// (<see cref="CardMarkdown.Check"/>; saving refuses it, but an older one may be stored) comes back as its plain
    /// text in a <c>pre</c> under a line that says why, at the cost of one pass over the text.
    /// </summary>
    public string ToHtml(string markdown)
    {
        markdown ??= "";
        if (!CardMarkdown.TryParse(markdown, out var document, out var problem))
        {
            return PlainText(markdown, problem);
        }

        string html;
        try
        {
            html = Markdown.ToHtml(document, Pipeline);
        }
        catch (ArgumentException)
        {
            return PlainText(markdown, CardMarkdown.DepthProblem); // Markdig's renderer has the same depth limit as its parser.
        }

        return Sanitize(html);
    }

    /// <summary>The text of the task-list item a checkbox sits in, with its state when the item has no text.</summary>
    private static string TaskLabel(IElement checkbox)
    {
        var text = string.Join(' ', (checkbox.ParentElement?.TextContent ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (text.Length > 200)
        {
            text = text[..200] + "…";
        }

        return text.Length > 0 ? text : checkbox.HasAttribute("checked") ? "Done" : "To do";
    }

    /// <summary>The card as text, encoded by us (nothing of it is markup), so it needs no sanitiser pass.</summary>
    private static string PlainText(string markdown, string problem) =>
        $"<p><strong>This card is shown as plain text: {WebUtility.HtmlEncode(problem)}</strong></p><pre>{WebUtility.HtmlEncode(markdown)}</pre>";

    /// <summary>Passes HTML through the card allow-list (exposed so tests can feed it HTML Markdig would never write).</summary>
    public string Sanitize(string html) => _sanitizer.Sanitize(html);

    /// <summary>Stands in for the registry's own origin when resolving a card's relative URLs.</summary>
    private static readonly Uri OwnOrigin = new("https://registry.invalid/");

    /// <summary>A version's file: the one API resource a card may show or link to (a read that records nothing).</summary>
    [GeneratedRegex("^/api/v1/models/[^/]+/versions/[^/]+/files/[^/].*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex VersionFile();

    /// <summary>
    /// True when <paramref name="url"/> points at the registry's API, other than at a version's file. A card is read
    /// with the reader's cookie, so an image or link to an API endpoint that records or streams something (the
    /// evidence pack records <c>evidence.exported</c>, the audit export streams the log) would act as every reader;
    /// such an image loses its <c>src</c> and such a link its <c>href</c>. Images count on any host (the dashboard
    /// loads none from other origins anyway, and an absolute URL may name the registry itself); links only when
    /// relative, since <c>https://example.com/api/…</c> is somebody else's page. The path is compared as the server
    /// routes it: percent-decoded, dot segments resolved, letter case ignored; a path that still holds dot segments,
    /// backslashes or doubled slashes after decoding is refused outright.
    /// </summary>
    internal static bool PointsIntoTheApi(string url, bool anyHost)
    {
        if (!Uri.TryCreate(OwnOrigin, url.Trim(), out var target))
        {
            return true;
        }

        if (target.Scheme is not ("http" or "https") || (!anyHost && target.Host != OwnOrigin.Host))
        {
            return false;
        }

        var path = Uri.UnescapeDataString(target.AbsolutePath);
        if (path.Contains("/./", StringComparison.Ordinal) || path.Contains("/../", StringComparison.Ordinal)
            || path.EndsWith("/.", StringComparison.Ordinal) || path.EndsWith("/..", StringComparison.Ordinal)
            || path.Contains('\\', StringComparison.Ordinal) || path.Contains("//", StringComparison.Ordinal))
        {
            return true;
        }

        var api = path.StartsWith("/api/", StringComparison.OrdinalIgnoreCase) || path.Equals("/api", StringComparison.OrdinalIgnoreCase);
        return api && !VersionFile().IsMatch(path);
    }

    private static bool IsExternal(string href) =>
        href.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || href.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
}
