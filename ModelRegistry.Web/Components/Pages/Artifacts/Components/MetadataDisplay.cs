using System.Globalization;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Versions;
using ModelRegistry.Web.Components.Shared;

namespace ModelRegistry.Web.Components.Pages.Artifacts.Components;

/// <summary>How a metadata field and its value read on the version page.</summary>
public static class MetadataDisplay
{
    public static string Label(string field) => field switch
    {
        MetadataFields.Architecture => "Architecture",
        MetadataFields.ParameterCount => "Parameters",
        MetadataFields.ContextLength => "Context length",
        MetadataFields.Quantization => "Quantization",
        MetadataFields.Format => "Weight format",
        MetadataProvenance.BaseModel => "Base model",
        MetadataProvenance.License => "Licence",
        _ => field,
    };

    public static string Value(string field, string value) => field switch
    {
        MetadataFields.ParameterCount when long.TryParse(value, CultureInfo.InvariantCulture, out var n) => Format.Parameters(n),
        MetadataFields.ContextLength when int.TryParse(value, CultureInfo.InvariantCulture, out var n) => Format.Context(n),
        _ => value,
    };
}
