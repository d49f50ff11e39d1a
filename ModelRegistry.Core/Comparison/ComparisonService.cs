using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Comparison;

/// <summary>Puts 2–4 versions of a model side by side: metadata and lineage, metrics with deltas, card diffs, files.</summary>
public sealed class ComparisonService(
    VersionService versions,
    EvaluationService evaluations,
    CardService cards,
    IEnumerable<IVersionFileIndex> fileIndexes)
{
    public const int MinVersions = 2;
    public const int MaxVersions = 4;

    private readonly IVersionFileIndex? _files = fileIndexes.FirstOrDefault();

    /// <summary>"1,3,4" → [1, 3, 4]; 400 unless it names 2–4 different version numbers.</summary>
    public static IReadOnlyList<int> ParseVersions(string? text)
    {
        var parts = (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var numbers = new List<int>();
        foreach (var part in parts)
        {
            if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < 1)
            {
                throw ValidationFailedException.For("versions", $"'{(part.Length > 20 ? part[..20] + "…" : part)}' is not a version number.");
            }

            if (!numbers.Contains(n))
            {
                numbers.Add(n);
            }
        }

        if (numbers.Count is < MinVersions or > MaxVersions)
        {
            throw ValidationFailedException.For("versions", $"Pick {MinVersions} to {MaxVersions} different versions to compare.");
        }

        return numbers;
    }

    /// <summary>The comparison of <paramref name="numbers"/> (the first is the baseline); 404 when one does not exist.</summary>
    public async Task<VersionComparison> CompareAsync(string modelName, IReadOnlyList<int> numbers, CancellationToken ct = default)
    {
        if (numbers.Count is < MinVersions or > MaxVersions || numbers.Distinct().Count() != numbers.Count)
        {
            throw ValidationFailedException.For("versions", $"Pick {MinVersions} to {MaxVersions} different versions to compare.");
        }

        var infos = new List<VersionInfo>();
        var results = new List<IReadOnlyList<EvaluationResultInfo>>();
        var texts = new List<ModelCard?>();
        foreach (var n in numbers)
        {
            infos.Add(await versions.GetAsync(modelName, n, ct));
            results.Add(await evaluations.ListAsync(modelName, n, ct));
            texts.Add(await cards.GetAsync(modelName, n, null, ct));
        }

        var cardComparisons = numbers.Select((n, i) => new CardComparison(n, texts[i]?.Revision,
            i == 0 ? null : CardDiffer.Diff(texts[0]?.Markdown ?? "", texts[i]?.Markdown ?? "", $"v{numbers[0]}", $"v{n}"))).ToList();

        IReadOnlyList<FileComparison>? files = null;
        if (_files is not null)
        {
            var lists = new List<IReadOnlyList<VersionFile>>();
            foreach (var n in numbers)
            {
                lists.Add(await _files.ListFilesAsync(modelName, n, ct));
            }

            files = CompareFiles(numbers, lists);
        }

        return new VersionComparison(modelName, infos, CompareMetrics(numbers, results), cardComparisons, files);
    }

    /// <summary>Each metric key any version has; a version's value is its newest result of that key.</summary>
    internal static IReadOnlyList<MetricComparison> CompareMetrics(IReadOnlyList<int> numbers, IReadOnlyList<IReadOnlyList<EvaluationResultInfo>> results)
    {
        var newest = results.Select(list => list
            .GroupBy(r => r.Key)
            .ToDictionary(g => g.Key, g => g.MaxBy(r => (r.RecordedAt, r.Id))!)).ToList();
        var keys = newest.SelectMany(d => d.Keys).Distinct().OrderBy(k => k.Label, StringComparer.OrdinalIgnoreCase).ToList();
        return keys.Select(key =>
        {
            // The baseline's idea of direction and unit wins; otherwise the first version that has the metric.
            var reference = newest.Select(d => d.GetValueOrDefault(key)).First(r => r is not null)!;
            var baseline = newest[0].GetValueOrDefault(key)?.Value;
            var cells = numbers.Select((n, i) =>
            {
                var value = newest[i].GetValueOrDefault(key)?.Value;
                if (i == 0)
                {
                    return new MetricCell(n, value, null, Trend.Baseline);
                }

                if (value is null || baseline is null)
                {
                    return new MetricCell(n, value, null, Trend.NotComparable);
                }

                var delta = value.Value - baseline.Value;
                return new MetricCell(n, value, delta, TrendOf(delta, baseline.Value, reference.HigherIsBetter));
            }).ToList();
            return new MetricComparison(key, reference.Unit, reference.HigherIsBetter, cells);
        }).ToList();
    }

    internal static Trend TrendOf(double delta, double baseline, bool higherIsBetter)
    {
        // Differences at the edge of double precision are noise, not a change.
        if (Math.Abs(delta) <= 1e-9 * Math.Max(1, Math.Abs(baseline)))
        {
            return Trend.Same;
        }

        return (delta > 0) == higherIsBetter ? Trend.Better : Trend.Worse;
    }

    /// <summary>Every path of any version, each version's file there compared with the baseline's by SHA-256.</summary>
    internal static IReadOnlyList<FileComparison> CompareFiles(IReadOnlyList<int> numbers, IReadOnlyList<IReadOnlyList<VersionFile>> lists)
    {
        var byPath = lists.Select(l => l.GroupBy(f => f.Path, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal)).ToList();
        var paths = byPath.SelectMany(d => d.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return paths.Select(path =>
        {
            var first = byPath[0].GetValueOrDefault(path);
            var cells = numbers.Select((n, i) =>
            {
                var file = byPath[i].GetValueOrDefault(path);
                var change = (i, first, file) switch
                {
                    (0, _, null) => FileChange.Absent,
                    (0, _, _) => FileChange.Baseline,
                    (_, null, null) => FileChange.Absent,
                    (_, null, _) => FileChange.Added,
                    (_, _, null) => FileChange.Removed,
                    _ => string.Equals(first!.Sha256, file!.Sha256, StringComparison.OrdinalIgnoreCase) ? FileChange.Same : FileChange.Changed,
                };
                return new FileCell(n, file?.Sha256, file?.Size, change);
            }).ToList();
            return new FileComparison(path, cells);
        }).ToList();
    }
}
