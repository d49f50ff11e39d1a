using System.Globalization;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace ModelRegistry.Core.Cards;

/// <summary>
/// Reads a card's YAML front matter (Hugging Face model-card format) with YamlDotNet. Never throws on bad input:
/// a card is saved whatever its front matter says, and what is wrong is reported in <see cref="CardMetadata.Problems"/>.
/// </summary>
public static class CardFrontMatter
{
    /// <summary>Front matter longer than this is not read (a card's metadata is a few kilobytes).</summary>
    public const int MaxFrontMatterChars = 1024 * 1024;

    /// <summary>Nesting deeper than this is refused before building a tree (deep nesting would exhaust the stack).</summary>
    public const int MaxDepth = 32;

    /// <summary>YAML events read at most; aliases and anchors cannot make the reader do more work than this.</summary>
    public const int MaxEvents = 200_000;

    /// <summary><c>model-index</c> metrics imported at most from one card.</summary>
    public const int MaxResults = 1000;

    /// <summary>Values read at most from one list (tags, datasets …).</summary>
    public const int MaxListItems = 200;

    /// <summary>Problems reported at most; the last one says how many more there were.</summary>
    public const int MaxProblems = 50;

    /// <summary>
    /// <c>model-index</c> entries (models, results, metrics) visited at most. An alias is one YAML event but stands for
    /// its whole anchored subtree, so a few thousand aliases of aliases would otherwise make the walk visit billions.
    /// </summary>
    public const int MaxModelIndexEntries = MaxEvents;

    /// <summary>The front matter's YAML text and the card line it starts on, or null when the card has none.</summary>
    public static (string Yaml, int FirstLine)? Extract(string markdown) =>
        CardMarkdown.TryParse(markdown, out var document, out _) ? Extract(document) : null;

    internal static (string Yaml, int FirstLine)? Extract(MarkdownDocument document)
    {
        if (document.Descendants<YamlFrontMatterBlock>().FirstOrDefault() is not { } block)
        {
            return null;
        }

        // The block's lines are those between the fences; the opening fence is the card's first line.
        var yaml = string.Join('\n', block.Lines.Lines.Take(block.Lines.Count).Select(l => l.Slice.ToString()));
        return (yaml, block.Line + 2);
    }

    /// <summary>Reads the front matter of <paramref name="markdown"/>.</summary>
    public static CardMetadata Parse(string markdown) =>
        CardMarkdown.TryParse(markdown, out var document, out var problem)
            ? Parse(markdown, document)
            : CardMetadata.Broken($"The card was not read: {problem}");

    internal static CardMetadata Parse(string markdown, MarkdownDocument document)
    {
        if (Extract(document) is { } frontMatter)
        {
            return ParseYaml(frontMatter.Yaml, frontMatter.FirstLine);
        }

        // Without its closing line the block is no front matter at all: it would render as a rule and text.
        return markdown.StartsWith("---\n", StringComparison.Ordinal) || markdown.StartsWith("---\r\n", StringComparison.Ordinal)
            ? CardMetadata.Broken("The card starts with --- but the front matter is never closed: end it with a line of ---.")
            : CardMetadata.None;
    }

    /// <summary>Reads front matter YAML; <paramref name="firstLine"/> turns YAML line numbers into card line numbers.</summary>
    public static CardMetadata ParseYaml(string yaml, int firstLine = 1)
    {
        if (yaml.Length > MaxFrontMatterChars)
        {
            return CardMetadata.Broken($"The front matter is longer than {MaxFrontMatterChars / 1024} KiB and was not read.");
        }

        if (string.IsNullOrWhiteSpace(yaml))
        {
            return CardMetadata.None with { HasFrontMatter = true };
        }

        YamlNode? root;
        try
        {
            if (CheckShape(yaml) is { } shapeProblem)
            {
                return CardMetadata.Broken(shapeProblem);
            }

            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            root = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
        }
        catch (YamlException e)
        {
            var line = e.Start.Line + firstLine - 1;
            return CardMetadata.Broken($"The front matter is not valid YAML (line {line}, column {e.Start.Column}): {Reason(e)}");
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // YamlDotNet fails this way on some truncated input (e.g. a flow sequence left open at the end).
            return CardMetadata.Broken("The front matter is not valid YAML: it ends inside an unclosed bracket, brace or quote.");
        }

        if (root is null || root is YamlScalarNode { Value: null or "" })
        {
            return CardMetadata.None with { HasFrontMatter = true };
        }

        if (root is not YamlMappingNode map)
        {
            return CardMetadata.Broken("The front matter must be a set of 'key: value' lines (a YAML mapping).");
        }

        var problems = new List<string>();
        var license = Single(map, "license", problems);
        var baseModels = List(map, "base_model", problems);
        var datasets = List(map, "datasets", problems);
        var tags = List(map, "tags", problems);
        var languages = List(map, "language", problems);
        var pipelineTag = Single(map, "pipeline_tag", problems);
        var results = ModelIndex(map, problems);
        if (problems.Count > MaxProblems)
        {
            var more = problems.Count - (MaxProblems - 1);
            problems.RemoveRange(MaxProblems - 1, more);
            problems.Add($"… and {more:N0} more problems.");
        }

        return new CardMetadata(true, license, baseModels, datasets, tags, languages, pipelineTag, results, problems);
    }

    /// <summary>Walks the raw events (iteratively, without building a tree) to refuse pathological shapes early.</summary>
    private static string? CheckShape(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        int depth = 0, events = 0;
        while (parser.MoveNext())
        {
            if (++events > MaxEvents)
            {
                return "The front matter has too many entries to read.";
            }

            switch (parser.Current)
            {
                case MappingStart or SequenceStart:
                    if (++depth > MaxDepth)
                    {
                        return $"The front matter is nested more than {MaxDepth} levels deep and was not read.";
                    }

                    break;
                case MappingEnd or SequenceEnd:
                    depth--;
                    break;
                case DocumentStart { IsImplicit: false } when events > 2:
                    return "The front matter holds more than one YAML document.";
            }
        }

        return null;
    }

    private static string Reason(YamlException e)
    {
        var message = e.InnerException?.Message ?? e.Message;
        // YamlDotNet prefixes positions the caller already gets; keep the human part.
        var at = message.IndexOf("): ", StringComparison.Ordinal);
        return at >= 0 && message.StartsWith('(') ? message[(at + 3)..] : message;
    }

    private static YamlNode? Get(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

    private static string? Scalar(YamlNode? node) =>
        node is YamlScalarNode { Value: { } v } && !string.IsNullOrWhiteSpace(v) && v is not "~" and not "null" ? v.Trim() : null;

    private static string? Single(YamlMappingNode map, string key, List<string> problems)
    {
        var node = Get(map, key);
        switch (node)
        {
            case null:
                return null;
            case YamlScalarNode:
                return Scalar(node);
            case YamlSequenceNode { Children.Count: 1 } one when one.Children[0] is YamlScalarNode:
                return Scalar(one.Children[0]);
            default:
                problems.Add($"'{key}' should be a single value.");
                return null;
        }
    }

    private static List<string> List(YamlMappingNode map, string key, List<string> problems)
    {
        var node = Get(map, key);
        switch (node)
        {
            case null:
                return [];
            case YamlScalarNode:
                return Scalar(node) is { } one ? [one] : [];
            case YamlSequenceNode seq:
                var values = new List<string>();
                foreach (var item in seq.Children.Take(MaxListItems))
                {
                    if (Scalar(item) is { } v)
                    {
                        if (!values.Contains(v))
                        {
                            values.Add(v);
                        }
                    }
                    else if (item is not YamlScalarNode)
                    {
                        problems.Add($"'{key}' should be a list of plain values; an entry that is not was left out.");
                    }
                }

                return values;
            default:
                problems.Add($"'{key}' should be a value or a list of values.");
                return [];
        }
    }

    private static List<ModelIndexResult> ModelIndex(YamlMappingNode map, List<string> problems)
    {
        var node = Get(map, "model-index");
        if (node is null || node is YamlScalarNode && Scalar(node) is null)
        {
            return [];
        }

        if (node is not YamlSequenceNode models)
        {
            problems.Add("'model-index' should be a list of models, each with its 'results'.");
            return [];
        }

        var results = new List<ModelIndexResult>();
        var visited = 0;
        bool TooMany()
        {
            if (++visited <= MaxModelIndexEntries)
            {
                return false;
            }

            problems.Add($"model-index has more than {MaxModelIndexEntries:N0} entries (counting each use of a YAML alias); the rest were not read.");
            return true;
        }

        for (var m = 0; m < models.Children.Count; m++)
        {
            if (TooMany())
            {
                return results;
            }

            if (models.Children[m] is not YamlMappingNode model || Get(model, "results") is not { } resultsNode)
            {
                problems.Add($"model-index[{m}] has no 'results' list.");
                continue;
            }

            if (resultsNode is not YamlSequenceNode resultList)
            {
                if (Scalar(resultsNode) is not null || resultsNode is not YamlScalarNode)
                {
                    problems.Add($"model-index[{m}].results should be a list.");
                }

                continue;
            }

            for (var r = 0; r < resultList.Children.Count; r++)
            {
                if (TooMany())
                {
                    return results;
                }

                var at = $"model-index[{m}].results[{r}]";
                if (resultList.Children[r] is not YamlMappingNode result)
                {
                    problems.Add($"{at} should have 'task', 'dataset' and 'metrics'.");
                    continue;
                }

                var task = Get(result, "task") is YamlMappingNode t ? Scalar(Get(t, "type")) ?? Scalar(Get(t, "name")) : null;
                var datasetNode = Get(result, "dataset") as YamlMappingNode;
                var dataset = datasetNode is null ? null : Scalar(Get(datasetNode, "name")) ?? Scalar(Get(datasetNode, "type"));
                var split = datasetNode is null ? null : Scalar(Get(datasetNode, "split"));
                if (Get(result, "metrics") is not YamlSequenceNode metrics)
                {
                    problems.Add($"{at} has no 'metrics' list.");
                    continue;
                }

                for (var i = 0; i < metrics.Children.Count; i++)
                {
                    if (TooMany())
                    {
                        return results;
                    }

                    if (results.Count >= MaxResults)
                    {
                        problems.Add($"model-index has more than {MaxResults} metrics; the rest were not read.");
                        return results;
                    }

                    var metricAt = $"{at}.metrics[{i}]";
                    if (metrics.Children[i] is not YamlMappingNode metric)
                    {
                        problems.Add($"{metricAt} should have a 'type' and a 'value'.");
                        continue;
                    }

                    var name = Scalar(Get(metric, "type")) ?? Scalar(Get(metric, "name"));
                    var raw = Scalar(Get(metric, "value"));
                    if (name is null)
                    {
                        problems.Add($"{metricAt} has no 'type' or 'name'.");
                    }
                    else if (raw is null)
                    {
                        problems.Add($"{metricAt} ({name}) has no 'value'.");
                    }
                    else if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
                    {
                        problems.Add($"{metricAt} ({name}) has a value that is not a finite number: '{Shorten(raw)}'.");
                    }
                    else
                    {
                        results.Add(new ModelIndexResult(name, value, dataset, split, task));
                    }
                }
            }
        }

        return results;
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
