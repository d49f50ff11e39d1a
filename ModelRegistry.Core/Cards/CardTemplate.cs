using System.Text;
using System.Text.Json;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Cards;

/// <summary>
/// The starting text of a new card: Hugging Face front matter filled from the version's metadata, and the
/// sections the lifecycle policy requires (<see cref="CardSections.Required"/>), each with a prompt.
/// </summary>
public static class CardTemplate
{
    /// <summary>A card for <paramref name="version"/> of the model shown as <paramref name="displayName"/>.</summary>
    public static string For(VersionInfo version, string? displayName = null)
    {
        var s = new StringBuilder();
        s.Append("---\n");
        if (version.License is { } license)
        {
            s.Append("license: ").Append(Quote(license)).Append('\n');
        }

        if (version.BaseModel is { } baseModel)
        {
            s.Append("base_model: ").Append(Quote(baseModel)).Append('\n');
        }

        AppendList(s, "datasets", version.Datasets.Select(d => d.Name).Distinct());
        AppendList(s, "tags", version.Tags);
        s.Append("# Results in model-index are recorded as evaluation results when the card is saved, e.g.:\n")
            .Append("# model-index:\n")
            .Append("#   - name: ").Append(version.ModelName).Append('\n')
            .Append("#     results:\n")
            .Append("#       - task: { type: text-generation }\n")
            .Append("#         dataset: { name: MMLU, type: cais/mmlu, split: test }\n")
            .Append("#         metrics:\n")
            .Append("#           - { type: accuracy, value: 0.683 }\n")
            .Append("---\n\n");

        s.Append("# ").Append(displayName ?? version.ModelName).Append(" v").Append(version.Number).Append("\n\n");
        s.Append(string.IsNullOrWhiteSpace(version.Description) ? "One paragraph: what this model does and how it differs from the last version." : version.Description)
            .Append("\n\n");
        s.Append("## Intended use\n\n")
            .Append("Who should use this model and for what. Name the uses it must not be put to.\n\n");
        s.Append("## Limitations\n\n")
            .Append("Known failure modes, biases and risks: where its answers cannot be trusted, and what guards it needs.\n\n");
        s.Append("## Training data\n\n");
        if (version.Datasets.Count > 0)
        {
            s.Append("| Data set | Version | Split |\n|---|---|---|\n");
            foreach (var d in version.Datasets)
            {
                s.Append("| ").Append(Cell(d.Name)).Append(" | ").Append(Cell(d.Version ?? "—")).Append(" | ").Append(Cell(d.Split ?? "—")).Append(" |\n");
            }

            s.Append('\n');
        }

        s.Append("Where the data came from, its licences, how it was cleaned and split.\n\n");
        s.Append("## Evaluation\n\n")
            .Append("Benchmarks and data sets, the numbers reached, and how they were measured.\n");
        return s.ToString();
    }

    private static void AppendList(StringBuilder s, string key, IEnumerable<string> values)
    {
        var list = values.ToList();
        if (list.Count == 0)
        {
            return;
        }

        s.Append(key).Append(":\n");
        foreach (var v in list)
        {
            s.Append("  - ").Append(Quote(v)).Append('\n');
        }
    }

    /// <summary>A JSON string is a valid YAML double-quoted scalar, whatever characters the value holds.</summary>
    private static string Quote(string value) => JsonSerializer.Serialize(value);

    private static string Cell(string value) => value.Replace("|", "\\|", StringComparison.Ordinal);
}
