using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace ModelRegistry.Client.Api;

/// <summary>
/// The generated client (obj/generated/RegistryApi.g.cs) serializes through mreg's generated metadata
/// (<see cref="MregJsonContext"/>), never through reflection. Its calls go through the generic serializer methods, which
/// the trimming analysis cannot see into; every type they are called with is listed in <see cref="MregJsonContext"/>,
/// and one that is not fails in the tests, under the JIT and native alike.
/// </summary>
[UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The serializer options carry source-generated metadata only (MregJsonContext).")]
[UnconditionalSuppressMessage("AOT", "IL3050", Justification = "The serializer options carry source-generated metadata only (MregJsonContext).")]
[UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "ConvertToString reads an enum's EnumMember name by reflection for a query or path parameter; mreg passes no enum there.")]
internal partial class RegistryApi
{
    static partial void UpdateJsonSerializerSettings(JsonSerializerOptions settings) => settings.TypeInfoResolver = MregJsonContext.Default;
}
