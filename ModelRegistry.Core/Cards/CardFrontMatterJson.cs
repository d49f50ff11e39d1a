using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace ModelRegistry.Core.Cards;

/// <summary>
/// A card's whole YAML front matter as JSON, as the Hub returns it in <c>cardData</c>: mappings become objects,
/// sequences arrays, and plain scalars numbers, booleans or null where YAML's core schema reads them so (quoted ones
/// stay strings). Bounded like <see cref="CardFrontMatter"/>: front matter it would refuse gives null, and so does
/// one whose aliases would expand past <see cref="CardFrontMatter.MaxEvents"/> values.
/// </summary>
public static class CardFrontMatterJson
{
    /// <summary>The front matter of <paramref name="markdown"/> as a JSON object; null without one, or when it cannot be read.</summary>
    public static JsonObject? Read(string markdown)
    {
        if (CardFrontMatter.Extract(markdown) is not { } frontMatter
            || frontMatter.Yaml.Length > CardFrontMatter.MaxFrontMatterChars
            || !WithinLimits(frontMatter.Yaml))
        {
            return null;
        }

        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(frontMatter.Yaml));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            {
                return null;
            }

            var budget = CardFrontMatter.MaxEvents;
            return Convert(root, 0, ref budget) as JsonObject;
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException or ArgumentException or FormatException
                                      or OverflowException or BudgetExceeded)
        {
            return null;
        }
    }

    private static bool WithinLimits(string yaml)
    {
        try
        {
            var parser = new Parser(new StringReader(yaml));
            int depth = 0, events = 0;
            while (parser.MoveNext())
            {
                if (++events > CardFrontMatter.MaxEvents)
                {
                    return false;
                }

                if (parser.Current is MappingStart or SequenceStart && ++depth > CardFrontMatter.MaxDepth)
                {
                    return false;
                }

                if (parser.Current is MappingEnd or SequenceEnd)
                {
                    depth--;
                }
            }

            return true;
        }
        catch (YamlException)
        {
            return false;
        }
    }

    private static JsonNode? Convert(YamlNode node, int depth, ref int budget)
    {
        // An alias is one event but the whole anchored subtree again: count what is built, not what was read.
        if (--budget < 0 || depth > CardFrontMatter.MaxDepth)
        {
            throw new BudgetExceeded();
        }

        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (key, value) in map.Children)
                {
                    var name = key is YamlScalarNode { Value: { } k } ? k : key.ToString();
                    obj[name] = Convert(value, depth + 1, ref budget);
                }

                return obj;
            case YamlSequenceNode seq:
                var array = new JsonArray();
                foreach (var item in seq.Children)
                {
                    array.Add(Convert(item, depth + 1, ref budget));
                }

                return array;
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                return null;
        }
    }

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain)
        {
            return JsonValue.Create(value);
        }

        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
               && value.Any(char.IsAsciiDigit)
            ? JsonValue.Create(number)
            : JsonValue.Create(value);
    }

    private sealed class BudgetExceeded : Exception;
}
