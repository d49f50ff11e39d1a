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

    /// <summary>Changed only through <see cref="MoveTo"/>, by the lifecycle workflow that keeps one Production version per model.</summary>
    public Stage Stage { get; private set; } = Stage.None;

    /// <summary>
    /// Counts changes to the version's content (its files). A transition request remembers the revision it was made
    /// against; once the content has changed the request is stale and cannot be approved (see <see cref="MarkContentChanged"/>).
    /// </summary>
    public int ContentRevision { get; private set; }
    /// <summary>
    /// <c>sha256:</c> and the hex SHA-256 of the version's manifest (<see cref="VersionManifest"/>): what a reviewer
    /// judged. Set by <see cref="VersionWriter"/> in the transaction of every change; empty only for a version written
    /// before digests existed, until the start-up fill computes it.
    /// </summary>
    public string Digest { get; private set; } = "";

    /// <summary>When the version's first transition request was approved; from then on its content never changes.</summary>
    public DateTimeOffset? FrozenAt { get; private set; }

    /// <summary>The approved request that froze the version.</summary>
    public long? FrozenByRequestId { get; private set; }

    public bool IsFrozen => FrozenAt is not null;

    public string CreatedByUserId { get; private set; } = "";
    public string CreatedBy { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>Where the version came from: a commit, a training run, a URL.</summary>
    public string? Source { get; set; }

    public string? Description { get; set; }
    public LlmMetadata Metadata { get; set; } = new();

    /// <summary>
    /// Where each metadata field's value came from, by API field name (<see cref="MetadataProvenance"/>); a field with a
    /// value but no entry was written before provenance was kept and counts as entered.
    /// </summary>
    public Dictionary<string, FieldOrigin> MetadataOrigins { get; private set; } = [];

    /// <summary>The version of the same model this one was trained or derived from.</summary>
    public int? ParentVersionNumber { get; set; }

    public List<TrainingDataset> Datasets { get; set; } = [];

    public void Touch(DateTimeOffset now) => UpdatedAt = now;

    /// <summary>
    /// Records that the version's content (an artifact added, replaced or removed) changed, inside the transaction of
    /// that change. Pending transition requests made before it become stale: a reviewer would otherwise approve files
    /// they never saw.
    /// </summary>
    public void MarkContentChanged(DateTimeOffset now)
    {
        ContentRevision = checked(ContentRevision + 1);
        Touch(now);
    }

    /// <summary>Records the digest of the version's current manifest; true when it differs from the one recorded before.</summary>
    internal bool SetDigest(string digest)
    {
        if (string.Equals(Digest, digest, StringComparison.Ordinal))
        {
            return false;
        }

        Digest = digest;
        return true;
    }

    /// <summary>Freezes the version for good, by the approval of <paramref name="requestId"/>; a later approval changes nothing.</summary>
    internal void Freeze(long requestId, DateTimeOffset now)
    {
        if (FrozenAt is null)
        {
            FrozenAt = now;
            FrozenByRequestId = requestId;
        }
    }

    /// <summary>
    /// Moves the version to <paramref name="stage"/>. Only the lifecycle workflow calls this, in the transaction that
    /// also archives the model's previous Production version, writes the stage history and the audit event.
    /// </summary>
    internal void MoveTo(Stage stage, DateTimeOffset now)
    {
        if (!Enum.IsDefined(stage))
        {
            throw new ArgumentOutOfRangeException(nameof(stage));
        }

        if (stage == Stage)
        {
            throw new InvalidOperationException($"Version {Number} is already in {stage}.");
        }

        Stage = stage;
        Touch(now);
    }
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
