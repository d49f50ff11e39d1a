namespace ModelRegistry.Core.Cards;

/// <summary>
/// What a card's YAML front matter says, in the Hugging Face model-card format (license, base_model, datasets,
/// tags, language, pipeline_tag, model-index). A card whose front matter cannot be read still saves: the
/// reasons are in <see cref="Problems"/>, for the metadata panel to show.
/// </summary>
public sealed record CardMetadata(
    bool HasFrontMatter,
    string? License,
    IReadOnlyList<string> BaseModels,
    IReadOnlyList<string> Datasets,
    IReadOnlyList<string> Tags,
    IReadOnlyList<string> Languages,
    string? PipelineTag,
    IReadOnlyList<ModelIndexResult> Results,
    IReadOnlyList<string> Problems)
{
    /// <summary>A card without front matter.</summary>
    public static CardMetadata None { get; } = new(false, null, [], [], [], [], null, [], []);

    /// <summary>Front matter that could not be read at all.</summary>
    public static CardMetadata Broken(params string[] problems) => None with { HasFrontMatter = true, Problems = problems };
}

/// <summary>One metric of one result of the front matter's <c>model-index</c>.</summary>
/// <param name="Metric">The metric's <c>type</c> (e.g. accuracy), or its <c>name</c> when it has no type.</param>
/// <param name="Value">The number.</param>
/// <param name="Dataset">The data set's <c>name</c>, or its <c>type</c> when it has no name.</param>
/// <param name="Split">The data set's split, e.g. test.</param>
/// <param name="Task">The task's <c>type</c>, e.g. text-generation.</param>
public sealed record ModelIndexResult(string Metric, double Value, string? Dataset, string? Split, string? Task);
