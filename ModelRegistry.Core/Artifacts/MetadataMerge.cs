using System.Globalization;
using ModelRegistry.Core.Artifacts.Headers;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Artifacts;

/// <summary>The version metadata fields that files can fill, named as the API names them.</summary>
public static class MetadataFields
{
    public const string Architecture = "architecture";
    public const string ParameterCount = "parameterCount";
    public const string ContextLength = "contextLength";
    public const string Quantization = "quantization";
    public const string Format = "format";

    public static IReadOnlyList<string> All { get; } = [Architecture, ParameterCount, ContextLength, Quantization, Format];

    /// <summary>The field's value as text (invariant culture), or null when empty.</summary>
    public static string? Get(LlmMetadata m, string field) => field switch
    {
        Architecture => m.Architecture,
        ParameterCount => m.ParameterCount?.ToString(CultureInfo.InvariantCulture),
        ContextLength => m.ContextLength?.ToString(CultureInfo.InvariantCulture),
        Quantization => m.Quantization,
        Format => m.Format == WeightFormat.Unknown ? null : FormatName(m.Format),
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, null),
    };

    /// <summary>The weight format as the API spells it: safetensors, gguf, pytorch …</summary>
    public static string FormatName(WeightFormat format) => format.ToString().ToLowerInvariant();

    internal static void Set(LlmMetadata m, string field, string value)
    {
        switch (field)
        {
            case Architecture: m.Architecture = value; break;
            case ParameterCount: m.ParameterCount = long.Parse(value, CultureInfo.InvariantCulture); break;
            case ContextLength: m.ContextLength = int.Parse(value, CultureInfo.InvariantCulture); break;
            case Quantization: m.Quantization = value; break;
            case Format: m.Format = Enum.Parse<WeightFormat>(value, ignoreCase: true); break;
            default: throw new ArgumentOutOfRangeException(nameof(field), field, null);
        }
    }

    /// <summary>Same value for people: text compares without case ("Q4_K_M" = "q4_k_m"), numbers exactly.</summary>
    internal static bool Same(string field, string a, string b) =>
        string.Equals(a, b, field is Architecture or Quantization or Format ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
}

/// <summary>
/// Turns the headers of a version's files into metadata values and merges them with what people entered:
/// a value from files fills an empty field (and refreshes a field it filled before, e.g. the parameter count
/// as more shards arrive); a field a person set is never overwritten, a differing file value is reported.
/// </summary>
internal static class MetadataMerge
{
    /// <summary>A readable file of the version, as the merge sees it.</summary>
    public sealed record FileFacts(string Path, ArtifactKind Kind, HeaderFacts? Facts, string? HeaderProblem);

    /// <summary>A value the files give for a field, and which file(s) gave it.</summary>
    public sealed record Derived(string Field, string Value, string Source);

    public sealed record Outcome(IReadOnlyList<MetadataFromFile> Filled, IReadOnlyList<MetadataConflict> Conflicts);

    /// <summary>
    /// One value per field from all of a version's files, by precedence: config.json before GGUF for
    /// architecture and context length; the sum of all safetensors shards (or of a split GGUF) for the
    /// parameter count; GGUF file type, then the config's quantization, then the safetensors dtype.
    /// Files whose header could not be read contribute nothing.
    /// </summary>
    public static IReadOnlyList<Derived> Derive(IEnumerable<FileFacts> all)
    {
        var files = all.Where(f => f.HeaderProblem is null).OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        var configs = files.Where(f => f.Kind == ArtifactKind.ModelConfig && f.Facts is not null).ToList();
        var ggufs = files.Where(f => f.Kind == ArtifactKind.Gguf && f.Facts is not null).ToList();
        var safetensors = files.Where(f => f.Kind == ArtifactKind.Safetensors && f.Facts?.ParameterCount is not null).ToList();
        var result = new List<Derived>();

        void Add(string field, IEnumerable<(string? Value, string Path)> candidates)
        {
            if (candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c.Value)) is { Value: { } value } first)
            {
                result.Add(new Derived(field, value, first.Path));
            }
        }

        Add(MetadataFields.Architecture,
            configs.Select(f => (f.Facts!.Architecture, f.Path)).Concat(ggufs.Select(f => (f.Facts!.Architecture, f.Path))));
        Add(MetadataFields.ContextLength,
            configs.Concat(ggufs).Select(f => (f.Facts!.ContextLength is { } c and >= 1 and <= VersionService.MaxContextLength
                ? c.ToString(CultureInfo.InvariantCulture) : null, f.Path)));

        var parameters = ParameterCount(safetensors, ggufs);
        if (parameters is { } p)
        {
            result.Add(new Derived(MetadataFields.ParameterCount, p.Count.ToString(CultureInfo.InvariantCulture), p.Source));
        }

        Add(MetadataFields.Quantization, ggufs.Concat(configs).Concat(safetensors)
            .Select(f => (f.Facts!.Quantization is { Length: <= 100 } q ? q : null, f.Path)));

        var format = safetensors.Count > 0 ? (WeightFormat.Safetensors, safetensors[0].Path)
            : ggufs.Count > 0 ? (WeightFormat.Gguf, ggufs[0].Path)
            : files.FirstOrDefault(f => f.Kind == ArtifactKind.Pickle && IsPytorch(f.Path)) is { } pt ? (WeightFormat.Pytorch, pt.Path)
            : files.FirstOrDefault(f => f.Kind == ArtifactKind.Onnx) is { } onnx ? (WeightFormat.Onnx, onnx.Path)
            : ((WeightFormat, string)?)null;
        if (format is { } fmt)
        {
            result.Add(new Derived(MetadataFields.Format, MetadataFields.FormatName(fmt.Item1), fmt.Item2));
        }

        return result;
    }

    /// <summary>
    /// Merges <paramref name="derived"/> into <paramref name="version"/>'s metadata, updating <paramref name="fills"/>: a
    /// file value fills an empty field, refreshes one a file filled, and replaces one carried over from the previous
    /// version; it never replaces a value a person entered (or the card gave), it reports the difference.
    /// </summary>
    public static Outcome Apply(ModelVersion version, IDictionary<string, MetadataFill> fills, IReadOnlyList<Derived> derived,
        DateTimeOffset now, Action<MetadataFill> addFill)
    {
        var metadata = version.Metadata;
        var filled = new List<MetadataFromFile>();
        var conflicts = new List<MetadataConflict>();
        foreach (var d in derived)
        {
            var current = MetadataFields.Get(metadata, d.Field);
            fills.TryGetValue(d.Field, out var fill);
            var fromFile = fill is not null && current == fill.Value;
            var carried = MetadataProvenance.Of(version, d.Field) == FieldOrigin.CarriedOver;
            if (current is null || fromFile || carried)
            {
                if (current != d.Value || fill?.Source != d.Source || carried)
                {
                    MetadataFields.Set(metadata, d.Field, d.Value);
                    if (fill is null)
                    {
                        fill = new MetadataFill(version.Id, d.Field, d.Value, d.Source, now);
                        fills[d.Field] = fill;
                        addFill(fill);
                    }
                    else
                    {
                        fill.Update(d.Value, d.Source, now);
                    }

                    MetadataProvenance.Set(version, d.Field, FieldOrigin.FileHeader);
                    filled.Add(new MetadataFromFile(d.Field, d.Value, d.Source));
                }
            }
            else if (!MetadataFields.Same(d.Field, current, d.Value))
            {
                conflicts.Add(new MetadataConflict(d.Field, current, d.Value, d.Source));
            }
        }

        return new Outcome(filled, conflicts);
    }

    /// <summary>
    /// Where each field's value came from, which fields hold a value a file put there, where files disagree with a
    /// person's value, and whether the files mix weight formats.
    /// </summary>
    public static MetadataOrigins Origins(ModelVersion version, IEnumerable<MetadataFill> fills, IReadOnlyList<FileFacts> files)
    {
        var metadata = version.Metadata;
        var derived = Derive(files);
        var fromFiles = fills.Where(f => MetadataFields.Get(metadata, f.Field) == f.Value)
            .Select(f => new MetadataFromFile(f.Field, f.Value, f.Source))
            .OrderBy(f => MetadataFields.All.ToList().IndexOf(f.Field))
            .ToList();
        var conflicts = derived
            .Where(d => fromFiles.All(f => f.Field != d.Field)
                && MetadataFields.Get(metadata, d.Field) is { } current && !MetadataFields.Same(d.Field, current, d.Value))
            .Select(d => new MetadataConflict(d.Field, MetadataFields.Get(metadata, d.Field)!, d.Value, d.Source))
            .ToList();
        var fields = new Dictionary<string, FieldOrigin>();
        foreach (var field in MetadataProvenance.Fields)
        {
            if (fromFiles.Any(f => f.Field == field))
            {
                fields[field] = FieldOrigin.FileHeader;
            }
            else if (MetadataProvenance.Of(version, field) is { } origin)
            {
                // A value once filled from a file that a person has since changed is theirs.
                fields[field] = origin == FieldOrigin.FileHeader ? FieldOrigin.Entered : origin;
            }
        }

        return new MetadataOrigins(fromFiles, conflicts) { Fields = fields, MixedWeightFormats = MixedWeightFormats(files) };
    }

    /// <summary>
    /// The weight file formats of one version when it holds more than one of safetensors and GGUF (say a full-precision
    /// checkpoint and a quantised GGUF side by side): one version should be one set of weights. Empty otherwise.
    /// </summary>
    public static IReadOnlyList<string> MixedWeightFormats(IEnumerable<FileFacts> files)
    {
        var kinds = files.Select(f => f.Kind).Where(k => k is ArtifactKind.Safetensors or ArtifactKind.Gguf).Distinct()
            .Select(k => k == ArtifactKind.Gguf ? "gguf" : "safetensors").Order(StringComparer.Ordinal).ToList();
        return kinds.Count > 1 ? kinds : [];
    }

    private static (long Count, string Source)? ParameterCount(List<FileFacts> safetensors, List<FileFacts> ggufs)
    {
        // Shards each hold part of the model: the whole is their sum.
        var parts = safetensors.Count > 0 ? safetensors
            : ggufs.Where(g => g.Facts!.SplitCount > 1 && g.Facts.ParameterCount is not null).ToList() is { Count: > 0 } split ? split
            : ggufs.Where(g => g.Facts!.ParameterCount is not null).Take(1).ToList();
        if (parts.Count == 0)
        {
            return null;
        }

        long total = 0;
        foreach (var part in parts)
        {
            var count = part.Facts!.ParameterCount!.Value;
            if (count < 0 || count > VersionService.MaxParameterCount - total)
            {
                return null;
            }

            total += count;
        }

        var source = parts.Count == 1 ? parts[0].Path
            : $"{parts.Count} {(parts[0].Kind == ArtifactKind.Safetensors ? "safetensors" : "GGUF")} files";
        return (total, source);
    }

    private static bool IsPytorch(string path) => ArtifactPath.Extension(path) is ".bin" or ".pt" or ".pth";
}
