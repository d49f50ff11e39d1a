namespace ModelRegistry.Core.Evaluation;

/// <summary>An evaluation result to record. <see cref="HigherIsBetter"/> left out is guessed from the name (see <see cref="MetricDirection"/>).</summary>
public sealed record MetricInput(
    string? Name,
    double? Value,
    string? Dataset = null,
    string? Split = null,
    bool? HigherIsBetter = null,
    string? Unit = null);

/// <summary>An evaluation result as pages and the API show it.</summary>
public sealed record EvaluationResultInfo(
    long Id,
    string Name,
    double Value,
    string? Dataset,
    string? Split,
    bool HigherIsBetter,
    string? Unit,
    EvaluationSource Source,
    string RecordedBy,
    DateTimeOffset RecordedAt,
    bool AfterApproval = false)
{
    /// <summary>Which line of the chart the result belongs to: the same metric on the same data and split.</summary>
    public MetricKey Key => new(Name, Dataset, Split);
}

/// <summary>Identifies a metric series: accuracy on MMLU (test) is another series than accuracy on HellaSwag.</summary>
public readonly record struct MetricKey(string Name, string? Dataset, string? Split)
{
    /// <summary>"accuracy · MMLU (test)".</summary>
    public string Label => Dataset is null ? Name + (Split is null ? "" : $" ({Split})") : $"{Name} · {Dataset}" + (Split is null ? "" : $" ({Split})");

    public override string ToString() => Label;
}

/// <summary>One metric's values across a model's versions, for the chart.</summary>
/// <param name="Key">Metric, data set, split.</param>
/// <param name="Unit">The unit of the newest result, if any.</param>
/// <param name="HigherIsBetter">As the newest result says.</param>
/// <param name="Points">One point per version that has the metric, in version order; the newest result of a version wins.</param>
public sealed record MetricSeries(MetricKey Key, string? Unit, bool HigherIsBetter, IReadOnlyList<MetricPoint> Points)
{
    public string Label => Key.Label;
}

/// <summary>A metric's value for one version.</summary>
public sealed record MetricPoint(int Version, double Value);

/// <summary>Every metric of a model across its versions, and which version is in Production.</summary>
/// <param name="ModelName">The model.</param>
/// <param name="Versions">Version numbers that have at least one result, ascending.</param>
/// <param name="ProductionVersion">The version now in Production, if any.</param>
/// <param name="Series">One series per metric key, ordered by label.</param>
public sealed record ModelMetrics(string ModelName, IReadOnlyList<int> Versions, int? ProductionVersion, IReadOnlyList<MetricSeries> Series);

/// <summary>One metric of a version against a baseline version (see <see cref="EvaluationService.CompareWithAsync"/>).</summary>
/// <param name="Better">True when the change improves the metric, false when it regresses, null when equal or not comparable.</param>
public sealed record MetricAgainstBaseline(MetricKey Key, string? Unit, bool HigherIsBetter, double Value, double? Baseline, double? Delta, bool? Better);
