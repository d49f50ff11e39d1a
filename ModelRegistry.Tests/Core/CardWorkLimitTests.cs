using AngleSharp.Html.Parser;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>
/// Card texts on which Markdig's work grows faster than the text (deep nesting, links left open, piles of emphasis,
/// runs of reference definitions or setext headings): saving refuses them, rendering one that is stored shows it as
/// plain text, and neither throws. The assertions bound the work's result (it finishes, its output is no bigger than
/// the text), never the time.
/// </summary>
public sealed class CardWorkLimitTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private static readonly CardRenderer Renderer = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The hostile shapes, each a few hundred kilobytes at most (built on use: test names carry only the shape).</summary>
    private static readonly Dictionary<string, Func<string>> Hostile = new()
    {
        ["quote 50k deep"] = () => new string('>', 50_000) + " deep\n",
        ["quote 50k deep, spaced"] = () => string.Concat(Enumerable.Repeat("> ", 50_000)) + "deep\n",
        ["list 50k deep"] = () => string.Concat(Enumerable.Repeat("- ", 50_000)) + "deep\n",
        ["ordered list 50k deep"] = () => string.Concat(Enumerable.Repeat("1. ", 50_000)) + "deep\n",
        ["list 1000 deep by indentation"] = () => string.Concat(Enumerable.Range(0, 1000).Select(i => new string(' ', 2 * i) + "- item\n")),
        ["quotes deepening line by line"] = () => string.Concat(Enumerable.Range(1, 2000).Select(i => new string('>', i) + " x\n")),
        ["links left open"] = () => string.Concat(Enumerable.Repeat("[a](", 25_000)),
        ["titles left open"] = () => string.Concat(Enumerable.Repeat("[a](b (", 25_000)),
        ["emphasis piled up"] = () => string.Concat(Enumerable.Repeat("*a _b ", 50_000)),
        ["brackets piled up"] = () => string.Concat(Enumerable.Repeat("[ ", 50_000)),
        ["reference definitions"] = () => string.Concat(Enumerable.Repeat("[a]: /u\n", 40_000)),
        ["setext headings"] = () => string.Concat(Enumerable.Repeat("a\n===\n", 60_000)),
        ["setext headings with lone dashes"] = () => string.Concat(Enumerable.Repeat("a\n-\n", 60_000)),
    };

    public static TheoryData<string> HostileShapes() => new(Hostile.Keys);

    [Theory]
    [MemberData(nameof(HostileShapes))]
    public void Hostile_card_renders_as_plain_text_with_the_reason(string shape)
    {
        var markdown = Hostile[shape]();
        var html = Renderer.ToHtml(markdown);

        var body = new HtmlParser().ParseDocument($"<body>{html}</body>").Body!;
        Assert.True(body.QuerySelector("pre")?.TextContent == markdown, $"{shape}: the text is not shown as it is");
        Assert.StartsWith("This card is shown as plain text:", body.QuerySelector("p")?.TextContent);
        Assert.Empty(body.QuerySelectorAll("blockquote, ul, ol, a, em, h1, h2"));
        // Encoding at most multiplies a few characters (&gt; is four): the output is bounded by the text, not its nesting.
        Assert.True(html.Length <= (6 * markdown.Length) + 1000, $"{shape}: {html.Length:N0} characters of HTML");
    }

    [Theory]
    [MemberData(nameof(HostileShapes))]
    public void Hostile_card_has_no_sections_and_unread_front_matter(string shape)
    {
        var markdown = Hostile[shape]();
        Assert.Empty(CardSections.Headings(markdown));
        var metadata = CardFrontMatter.Parse(markdown);
        Assert.True(metadata.Problems.Count == 1 && metadata.Problems[0].StartsWith("The card was not read", StringComparison.Ordinal),
            $"{shape}: {string.Join(" | ", metadata.Problems)}");
    }

    [Theory]
    [MemberData(nameof(HostileShapes))]
    public async Task Saving_a_hostile_card_is_refused_and_nothing_is_saved(string shape)
    {
        var markdown = Hostile[shape]();
        var model = "hostile-" + Hostile.Keys.ToList().IndexOf(shape);
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, model);
        await app.CreateVersionAsync(ds, model);

        var refused = await Assert.ThrowsAsync<ValidationFailedException>(() => app.Get<CardService>().SaveAsync(ds.Actor, model, 1, markdown, null, Ct));

        Assert.Contains("markdown", refused.Errors.Keys);
        Assert.Empty(await app.Get<CardService>().ListRevisionsAsync(model, 1, Ct));
    }

    [Fact]
    public void Nesting_a_card_may_have_renders()
    {
        var markdown = string.Concat(Enumerable.Range(0, CardMarkdown.MaxNesting).Select(i => new string(' ', 2 * i) + "- level\n"))
            + "\n" + new string('>', CardMarkdown.MaxNesting) + " quoted\n";

        var body = new HtmlParser().ParseDocument($"<body>{Renderer.ToHtml(markdown)}</body>").Body!;

        Assert.Equal(CardMarkdown.MaxNesting, body.QuerySelectorAll("ul").Length);
        Assert.Equal(CardMarkdown.MaxNesting, body.QuerySelectorAll("blockquote").Length);
    }

    [Fact]
    public void Large_ordinary_card_is_not_mistaken_for_a_hostile_one()
    {
        // A long card of the kinds real ones are: many closed links in a big table, setext and ATX headings, nested
        // lists, reference links, a rule made of many marks and a fenced block of deeply indented YAML.
        var table = "| model | link | score |\n|---|---|---:|\n"
            + string.Concat(Enumerable.Range(0, 3000).Select(i => $"| m{i} | [run {i}](https://ci.example/runs/{i} \"run {i}\") | 0.{i} |\n"));
        var sections = string.Concat(Enumerable.Range(0, 300).Select(i =>
            $"Section {i}\n---------\n\nText with [a link][r{i % 10}] and **bold** words.\n\n- one\n  - two\n    - three\n\n"));
        var references = string.Concat(Enumerable.Range(0, 10).Select(i => $"[r{i}]: https://example.com/{i}\n"));
        var yaml = "```yaml\n" + string.Concat(Enumerable.Range(0, 60).Select(i => new string(' ', 2 * i) + "- key: value\n")) + "```\n";
        var markdown = $"# Card\n\n{table}\n{sections}\n{references}\n* * * * * * * * * * * * * * * * * * * * * * * * * * * * * * * * * * * *\n\n{yaml}";

        Assert.Null(CardMarkdown.Check(markdown));
        var body = new HtmlParser().ParseDocument($"<body>{Renderer.ToHtml(markdown)}</body>").Body!;
        Assert.Equal(3001, body.QuerySelectorAll("tr").Length);
        Assert.Equal(300, body.QuerySelectorAll("h2").Length);
    }

    [Fact]
    public void Front_matter_aliases_cannot_multiply_the_work()
    {
        // 100 metrics, used by 100 results through one alias, used by 100 models through another: a million metric
        // entries from a few hundred lines, none of them valid, so each would add a problem.
        var yaml = "metrics: &m\n" + string.Concat(Enumerable.Repeat("  - { type: accuracy }\n", 100))
            + "results: &r\n" + string.Concat(Enumerable.Repeat("  - { task: { type: t }, dataset: { name: d }, metrics: *m }\n", 100))
            + "model-index:\n" + string.Concat(Enumerable.Repeat("  - { name: x, results: *r }\n", 100));

        var metadata = CardFrontMatter.ParseYaml(yaml);

        Assert.Equal(CardFrontMatter.MaxProblems, metadata.Problems.Count);
        Assert.StartsWith("… and ", metadata.Problems[^1]);
    }

    [Fact]
    public void Diff_of_two_unrelated_long_revisions_is_shown_as_removed_then_added()
    {
        var before = string.Concat(Enumerable.Range(0, 100_000).Select(i => $"old line {i}\n"));
        var after = "# Same title\n" + string.Concat(Enumerable.Range(0, 100_000).Select(i => $"new line {i}\n")) + "same end\n";

        var diff = CardDiffer.Diff("# Same title\n" + before + "same end\n", after, "revision 1", "revision 2");

        Assert.True(diff.Coarse);
        Assert.Equal((100_000, 100_000), (diff.Added, diff.Removed));
        Assert.Equal(new DiffLine(DiffLineKind.Unchanged, 1, 1, "# Same title"), diff.Lines[0]);
        Assert.Equal(new DiffLine(DiffLineKind.Removed, 2, null, "old line 0"), diff.Lines[1]);
        Assert.True(diff.Truncated);
    }
}
