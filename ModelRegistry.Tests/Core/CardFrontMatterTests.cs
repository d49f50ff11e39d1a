using ModelRegistry.Core.Cards;

namespace ModelRegistry.Tests.Core;

/// <summary>Hugging Face model-card front matter read with YamlDotNet; bad YAML is reported, never thrown.</summary>
public sealed class CardFrontMatterTests
{
    private const string HuggingFaceCard = """
        ---
        license: apache-2.0
        base_model: mistralai/Mistral-7B-Instruct-v0.3
        datasets:
          - acme/support-tickets
          - acme/faq
        tags:
          - chat
          - customer-support
        language: en
        pipeline_tag: text-generation
        model-index:
          - name: support-assistant
            results:
              - task:
                  type: text-generation
                  name: Text Generation
                dataset:
                  name: MMLU
                  type: cais/mmlu
                  split: test
                metrics:
                  - type: accuracy
                    value: 0.683
                    name: Accuracy
                  - type: acc_norm
                    value: "71.2"
              - task: { type: text-generation }
                dataset: { type: acme/support-eval, split: validation }
                metrics:
                  - { name: Exact match, value: 54 }
        ---

        # Support assistant
        """;

    [Fact]
    public void Hugging_face_front_matter_is_read_into_structured_metadata()
    {
        var m = CardFrontMatter.Parse(HuggingFaceCard);

        Assert.True(m.HasFrontMatter);
        Assert.Empty(m.Problems);
        Assert.Equal("apache-2.0", m.License);
        Assert.Equal(["mistralai/Mistral-7B-Instruct-v0.3"], m.BaseModels);
        Assert.Equal(["acme/support-tickets", "acme/faq"], m.Datasets);
        Assert.Equal(["chat", "customer-support"], m.Tags);
        Assert.Equal(["en"], m.Languages);
        Assert.Equal("text-generation", m.PipelineTag);
        Assert.Equal(
            [
                new ModelIndexResult("accuracy", 0.683, "MMLU", "test", "text-generation"),
                new ModelIndexResult("acc_norm", 71.2, "MMLU", "test", "text-generation"),
                new ModelIndexResult("Exact match", 54, "acme/support-eval", "validation", "text-generation"),
            ],
            m.Results);
    }

    [Fact]
    public void Base_model_may_be_a_list()
    {
        var m = CardFrontMatter.Parse("---\nbase_model:\n  - a/one\n  - b/two\n---\n");

        Assert.Equal(["a/one", "b/two"], m.BaseModels);
    }

    [Fact]
    public void Card_without_front_matter_has_no_metadata_and_no_problems()
    {
        var m = CardFrontMatter.Parse("# Just a heading\n\n---\n\nA rule above is not front matter.");

        Assert.False(m.HasFrontMatter);
        Assert.Empty(m.Problems);
    }

    [Theory]
    [InlineData("---\nlicense: [mit\ntags: chat\n---\n# x\n", "not valid YAML")]
    [InlineData("---\nlicense: mit\ntags: chat: x\n---\n", "line 3")]
    [InlineData("---\nlicense: mit\n  tags: - a\n---\n", "not valid YAML")]
    [InlineData("---\n\"unclosed: quote\n---\n", "not valid YAML")]
    [InlineData("---\n- just\n- a list\n---\n", "mapping")]
    [InlineData("---\nlicense: {a: 1}\n---\n", "'license' should be a single value")]
    [InlineData("---\nlicense: mit\n# Title\n", "never closed")]
    public void Broken_front_matter_is_reported_not_thrown(string card, string expected)
    {
        var m = CardFrontMatter.Parse(card);

        Assert.True(m.HasFrontMatter);
        Assert.Contains(m.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Yaml_error_names_the_card_line()
    {
        // Line 1 is the opening fence; the broken flow sequence starts on card line 3.
        var m = CardFrontMatter.Parse("---\nlicense: mit\ntags: chat: x\n---\n");

        Assert.Contains(m.Problems, p => p.Contains("(line 3, column", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData(".nan")]
    [InlineData(".inf")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1e999")]
    public void Metric_value_that_is_not_a_finite_number_is_reported_and_left_out(string value)
    {
        var m = CardFrontMatter.Parse($"---\nmodel-index:\n  - name: m\n    results:\n      - dataset: {{ name: D }}\n        metrics:\n          - {{ type: f1, value: {value} }}\n          - {{ type: accuracy, value: 0.5 }}\n---\n");

        Assert.Equal([new ModelIndexResult("accuracy", 0.5, "D", null, null)], m.Results);
        Assert.Contains(m.Problems, p => p.Contains("f1", StringComparison.Ordinal) && p.Contains("finite", StringComparison.Ordinal));
    }

    [Fact]
    public void Deeply_nested_yaml_is_refused_without_exhausting_the_stack()
    {
        var m = CardFrontMatter.Parse("---\ntags: " + new string('[', 100_000) + "\n---\n");

        Assert.Contains(m.Problems, p => p.Contains("nested", StringComparison.Ordinal) || p.Contains("YAML", StringComparison.Ordinal));
    }

    [Fact]
    public void Alias_bomb_does_not_blow_up()
    {
        var yaml = "a: &a [x, x, x, x, x, x, x, x, x]\n" + string.Join("\n",
            Enumerable.Range(0, 20).Select(i => $"{(char)('b' + i)}: &{(char)('b' + i)} [*{(char)('a' + i)}, *{(char)('a' + i)}, *{(char)('a' + i)}, *{(char)('a' + i)}]"))
            + "\ntags: *u\nmodel-index:\n  - results: *u\n";

        var m = CardFrontMatter.ParseYaml(yaml);

        Assert.True(m.Results.Count <= CardFrontMatter.MaxResults);
    }

    [Fact]
    public void Model_index_of_the_wrong_shape_is_reported()
    {
        var m = CardFrontMatter.Parse("---\nmodel-index: accuracy 0.9\n---\n");

        Assert.Empty(m.Results);
        Assert.Contains(m.Problems, p => p.Contains("model-index", StringComparison.Ordinal));
    }

    [Fact]
    public void Template_has_the_required_sections_and_valid_front_matter()
    {
        var version = new ModelRegistry.Core.Versions.VersionInfo("support-assistant", 3, ModelRegistry.Core.Lifecycle.Stage.None, "ds",
            DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, null, null, "meta-llama/Llama-3.1-8B", null, null, null,
            ModelRegistry.Core.Versions.WeightFormat.Safetensors, "llama3.1", ["chat", "needs: quoting"], null,
            [new("support-tickets", "2026-11", null, null, "train")]);

        var card = CardTemplate.For(version, "Support assistant");

        Assert.Empty(CardSections.Missing(card));
        var m = CardFrontMatter.Parse(card);
        Assert.Empty(m.Problems);
        Assert.Equal("llama3.1", m.License);
        Assert.Equal(["meta-llama/Llama-3.1-8B"], m.BaseModels);
        Assert.Equal(["support-tickets"], m.Datasets);
        Assert.Equal(["chat", "needs: quoting"], m.Tags);
    }

    [Theory]
    [InlineData("# Card\n## Intended use\n## Limitations\n## Training data\n## Evaluation\n", new string[0])]
    [InlineData("## intended USE\n### Limitations:\n", new[] { "Training data", "Evaluation" })]
    [InlineData("Intended use, Limitations, Training data and Evaluation are only words here.", new[] { "Intended use", "Limitations", "Training data", "Evaluation" })]
    public void Missing_sections_are_the_required_headings_a_card_lacks(string card, string[] missing)
    {
        Assert.Equal(missing, CardSections.Missing(card));
    }
}
