using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Models;

namespace ModelRegistry.Core.Versions;

/// <summary>One numbered version of a model, with its LLM metadata and lineage.</summary>
public sealed class ModelVersion
{
    private ModelVersion() { }

    public ModelVersion(RegisteredModel model, int number, string createdByUserId, string createdBy, DateTimeOffset now)
    {
        Model = model;
        ModelId = model.Id;
        Number = number;
        CreatedByUserId = createdByUserId;
        CreatedBy = createdBy;
        CreatedAt = now;
        UpdatedAt = now;
    }

    public long Id { get; private set; }
    public long ModelId { get; private set; }
    public RegisteredModel Model { get; private set; } = null!;

    /// <summary>1, 2, 3 … per model, never reused.</summary>
    public int Number { get; private set; }

    public Stage Stage { get; private set; } = Stage.None;
    public string CreatedByUserId { get; private set; } = "";
    public string CreatedBy { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>Where the version came from: a commit, a training run, a URL.</summary>
    public string? Source { get; set; }

    public string? Description { get; set; }
    public LlmMetadata Metadata { get; set; } = new();

    /// <summary>The version of the same model this one was trained or derived from.</summary>
    public int? ParentVersionNumber { get; set; }

    public List<TrainingDataset> Datasets { get; set; } = [];

    public void Touch(DateTimeOffset now) => UpdatedAt = now;
}

/// <summary>The LLM-specific description of a version.</summary>
public sealed class LlmMetadata
{
    /// <summary>e.g. LlamaForCausalLM, llama, mistral.</summary>
    public string? Architecture { get; set; }

    /// <summary>The model this one was fine-tuned or quantised from (e.g. meta-llama/Llama-3.1-8B).</summary>
    public string? BaseModel { get; set; }

    public long? ParameterCount { get; set; }
    public int? ContextLength { get; set; }

    /// <summary>e.g. Q4_K_M, int8, bf16.</summary>
    public string? Quantization { get; set; }

    public WeightFormat Format { get; set; }

    /// <summary>SPDX id or licence name, e.g. apache-2.0, llama3.1.</summary>
    public string? License { get; set; }

    public List<string> Tags { get; set; } = [];
}

/// <summary>A data set a version was trained or evaluated on.</summary>
public sealed class TrainingDataset
{
    public string Name { get; set; } = "";

    /// <summary>A version label or a URI.</summary>
    public string? Version { get; set; }

    public string? Uri { get; set; }

    /// <summary>Lowercase hex SHA-256 of the data set snapshot, when known.</summary>
    public string? Sha256 { get; set; }

    /// <summary>train, validation, test …</summary>
    public string? Split { get; set; }
}
