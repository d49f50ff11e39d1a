using System.Text.Json.Serialization;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Evaluation;

/// <summary>Where an evaluation result came from.</summary>
public enum EvaluationSource
{
    /// <summary>Entered by a person in the dashboard.</summary>
    [JsonStringEnumMemberName("manual")]
    Manual,

    /// <summary>Posted to the REST API (usually by an evaluation pipeline).</summary>
    [JsonStringEnumMemberName("api")]
    Api,

    /// <summary>Read from the <c>model-index</c> of the version's card when the card was saved.</summary>
    [JsonStringEnumMemberName("model-index")]
    ModelIndex,
}

/// <summary>One measured number of a version: a metric on a benchmark or data set.</summary>
public sealed class EvaluationResult
{
    private EvaluationResult() { }

    internal EvaluationResult(ModelVersion version, MetricInput input, EvaluationSource source, string recordedByUserId,
        string recordedBy, DateTimeOffset recordedAt)
    {
        Version = version;
        VersionId = version.Id;
        Name = input.Name!;
        Value = input.Value!.Value;
        Dataset = input.Dataset;
        Split = input.Split;
        HigherIsBetter = input.HigherIsBetter ?? MetricDirection.HigherIsBetter(Name);
        Unit = input.Unit;
        Source = source;
        RecordedByUserId = recordedByUserId;
        RecordedBy = recordedBy;
        RecordedAt = recordedAt;
    }

    public long Id { get; private set; }
    public long VersionId { get; private set; }
    public ModelVersion Version { get; private set; } = null!;

    /// <summary>The metric, e.g. accuracy, f1, perplexity.</summary>
    public string Name { get; private set; } = "";

    /// <summary>Always a finite number.</summary>
    public double Value { get; private set; }

    /// <summary>The benchmark or data set it was measured on, e.g. MMLU.</summary>
    public string? Dataset { get; private set; }

    /// <summary>test, validation …</summary>
    public string? Split { get; private set; }

    /// <summary>Whether a larger value is an improvement (accuracy) or a regression (loss, latency).</summary>
    public bool HigherIsBetter { get; private set; }

    /// <summary>%, ms, tokens/s …</summary>
    public string? Unit { get; private set; }

    public EvaluationSource Source { get; private set; }
    public string RecordedByUserId { get; private set; } = "";
    public string RecordedBy { get; private set; } = "";
    public DateTimeOffset RecordedAt { get; private set; }

    /// <summary>Recorded after the version was approved (a post-release evaluation): added, never part of the review.</summary>
    public bool AfterApproval { get; internal set; }

    /// <summary>A person's correction of a result on a version that is not frozen (name, value, data set, split, direction, unit).</summary>
    internal void Correct(MetricInput input, string recordedByUserId, string recordedBy, DateTimeOffset at)
    {
        Name = input.Name!;
        Value = input.Value!.Value;
        Dataset = input.Dataset;
        Split = input.Split;
        HigherIsBetter = input.HigherIsBetter ?? MetricDirection.HigherIsBetter(Name);
        Unit = input.Unit;
        RecordedByUserId = recordedByUserId;
        RecordedBy = recordedBy;
        RecordedAt = at;
    }

    /// <summary>A later import of the same model-index entry with a different number replaces the number.</summary>
    internal void Reimport(double value, string recordedByUserId, string recordedBy, DateTimeOffset at)
    {
        Value = value;
        RecordedByUserId = recordedByUserId;
        RecordedBy = recordedBy;
        RecordedAt = at;
    }
}
