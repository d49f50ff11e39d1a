using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Comparison;

/// <summary>2–4 versions of one model side by side; the first one is the baseline every delta is measured against.</summary>
/// <param name="ModelName">The model.</param>
/// <param name="Versions">The versions in the order asked for.</param>
/// <param name="Metrics">Each metric any of them has, with each version's value and its change against the first.</param>
/// <param name="Cards">Each version's current card and its diff against the first version's card.</param>
/// <param name="Files">Files by hash, when a files feature has registered an <see cref="IVersionFileIndex"/>; null otherwise.</param>
public sealed record VersionComparison(
    string ModelName,
    IReadOnlyList<VersionInfo> Versions,
    IReadOnlyList<MetricComparison> Metrics,
    IReadOnlyList<CardComparison> Cards,
    IReadOnlyList<FileComparison>? Files);

/// <summary>How a version's value compares with the baseline's, taking the metric's direction into account.</summary>
public enum Trend
{
    /// <summary>The first version: what the others are compared against.</summary>
    Baseline,
    Better,
    Worse,
    Same,

    /// <summary>The version or the baseline has no value, so there is nothing to compare.</summary>
    NotComparable,
}

/// <summary>One metric across the compared versions.</summary>
public sealed record MetricComparison(MetricKey Key, string? Unit, bool HigherIsBetter, IReadOnlyList<MetricCell> Cells);

/// <summary>A version's value of a metric (its newest result), and the change from the baseline.</summary>
public sealed record MetricCell(int Version, double? Value, double? Delta, Trend Trend);

/// <summary>A version's current card and how it differs from the baseline's.</summary>
/// <param name="Version">The version.</param>
/// <param name="Revision">Its newest card revision; null when it has no card.</param>
/// <param name="DiffFromFirst">Baseline card → this card; null for the baseline itself.</param>
public sealed record CardComparison(int Version, CardRevisionInfo? Revision, CardDiff? DiffFromFirst);

/// <summary>How a file of a version compares with the file at the same path in the baseline.</summary>
public enum FileChange
{
    Baseline,
    Same,
    Changed,
    Added,
    Removed,

    /// <summary>Neither this version nor the baseline has the path.</summary>
    Absent,
}

/// <summary>One path across the compared versions.</summary>
public sealed record FileComparison(string Path, IReadOnlyList<FileCell> Cells);

/// <summary>A version's file at a path: its hash and size (null when the version has no such file) and its change.</summary>
public sealed record FileCell(int Version, string? Sha256, long? Size, FileChange Change);

/// <summary>A file of a version as an <see cref="IVersionFileIndex"/> lists it.</summary>
public sealed record VersionFile(string Path, string Sha256, long Size);
