using System.Globalization;
using System.Text.Json.Serialization;
using ModelRegistry.Core.Cards;

namespace ModelRegistry.Core.Versions;

/// <summary>Where the value of a version's metadata field came from (docs/design.md, "Metadata provenance").</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FieldOrigin>))]
public enum FieldOrigin
{
    /// <summary>A person or pipeline chose it: files and the card only report disagreement, never overwrite it.</summary>
    [JsonStringEnumMemberName("entered")]
    Entered,

    /// <summary>Read from the header of one of the version's files (safetensors, GGUF, config.json).</summary>
    [JsonStringEnumMemberName("file-header")]
    FileHeader,

    /// <summary>Read from the front matter of the version's model card (license, base_model).</summary>
    [JsonStringEnumMemberName("card")]
    Card,

    /// <summary>Copied from the version it descends from when it was created; the files' or card's value replaces it.</summary>
    [JsonStringEnumMemberName("carried-over")]
    CarriedOver,
}

/// <summary>
/// Keeps the provenance of a version's metadata: the rules that say which value may replace which. A value entered by a
/// person stands; a value carried over from the previous version is a guess that the new version's own files or card
/// correct.
/// </summary>
public static class MetadataProvenance
{
    public const string Architecture = "architecture";
    public const string BaseModel = "baseModel";
    public const string ParameterCount = "parameterCount";
    public const string ContextLength = "contextLength";
    public const string Quantization = "quantization";
    public const string Format = "format";
    public const string License = "license";

    /// <summary>The fields whose provenance is kept, named as the API names them.</summary>
    public static IReadOnlyList<string> Fields { get; } = [Architecture, BaseModel, ParameterCount, ContextLength, Quantization, Format, License];

    /// <summary>The field's value as text (invariant culture), or null when empty.</summary>
    public static string? Value(LlmMetadata m, string field) => field switch
    {
        BaseModel => m.BaseModel,
        License => m.License,
        Architecture => m.Architecture,
        ParameterCount => m.ParameterCount?.ToString(CultureInfo.InvariantCulture),
        ContextLength => m.ContextLength?.ToString(CultureInfo.InvariantCulture),
        Quantization => m.Quantization,
        Format => m.Format == WeightFormat.Unknown ? null : m.Format.ToString().ToLowerInvariant(),
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, null),
    };

    /// <summary>
    /// The origin recorded for <paramref name="field"/>, or (for a version written before provenance was kept) Entered when
    /// it holds a value; null when it is empty.
    /// </summary>
    public static FieldOrigin? Of(ModelVersion version, string field) =>
        Value(version.Metadata, field) is null ? null
        : version.MetadataOrigins.TryGetValue(field, out var origin) ? origin
        : FieldOrigin.Entered;

    /// <summary>Whether a value from a file or the card may replace the field's value: it is empty, carried over, or was filled the same way.</summary>
    public static bool Replaceable(ModelVersion version, string field, FieldOrigin by) =>
        Of(version, field) is not { } origin || origin == FieldOrigin.CarriedOver || origin == by;

    /// <summary>Sets the origin of a field, or forgets it when the field is empty.</summary>
    internal static void Set(ModelVersion version, string field, FieldOrigin origin)
    {
        if (Value(version.Metadata, field) is null)
        {
            version.MetadataOrigins.Remove(field);
        }
        else
        {
            version.MetadataOrigins[field] = origin;
        }
    }

    /// <summary>
    /// After a create or update from a caller's input: every field whose value differs from <paramref name="before"/> is
    /// Entered, unless the caller said it carried the value over and it equals <paramref name="parent"/>'s; fields that did
    /// not change keep their origin; emptied fields lose it.
    /// </summary>
    internal static void AfterInput(ModelVersion version, LlmMetadata? before, IReadOnlyCollection<string>? carriedOver, LlmMetadata? parent)
    {
        foreach (var field in Fields)
        {
            var now = Value(version.Metadata, field);
            if (now is null)
            {
                version.MetadataOrigins.Remove(field);
                continue;
            }

            if (before is not null && string.Equals(Value(before, field), now, StringComparison.Ordinal)
                && version.MetadataOrigins.ContainsKey(field))
            {
                continue;
            }

            var carried = carriedOver?.Contains(field) == true && parent is not null
                && string.Equals(Value(parent, field), now, StringComparison.Ordinal);
            version.MetadataOrigins[field] = carried ? FieldOrigin.CarriedOver : FieldOrigin.Entered;
        }
    }

    /// <summary>A version created as a copy of <paramref name="origin"/>: what a person entered there is carried over here.</summary>
    internal static void CarryOver(ModelVersion origin, ModelVersion version)
    {
        version.MetadataOrigins.Clear();
        foreach (var field in Fields)
        {
            if (Of(origin, field) is { } o)
            {
                // File and card values stay what they are: the files and card are copied too, and keep refreshing them.
                version.MetadataOrigins[field] = o is FieldOrigin.FileHeader or FieldOrigin.Card ? o : FieldOrigin.CarriedOver;
            }
        }
    }

    /// <summary>
    /// Saving a card: its front matter's <c>license</c> and first <c>base_model</c> fill those fields where they are empty,
    /// carried over or from the card before. Returns the fields set.
    /// </summary>
    internal static IReadOnlyList<string> FromCard(ModelVersion version, CardMetadata card)
    {
        var set = new List<string>();
        void Fill(string field, string? value, Action<string> assign)
        {
            if (string.IsNullOrWhiteSpace(value) || value.Any(char.IsControl) || value.Length > (field == License ? 200 : 300) || !Replaceable(version, field, FieldOrigin.Card))
            {
                return;
            }

            if (!string.Equals(Value(version.Metadata, field), value, StringComparison.Ordinal) || Of(version, field) != FieldOrigin.Card)
            {
                assign(value);
                version.MetadataOrigins[field] = FieldOrigin.Card;
                set.Add(field);
            }
        }

        Fill(License, card.License?.Trim(), v => version.Metadata.License = v);
        Fill(BaseModel, (card.BaseModels.Count > 0 ? card.BaseModels[0] : null)?.Trim(), v => version.Metadata.BaseModel = v);
        return set;
    }
}
