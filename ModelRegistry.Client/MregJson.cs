using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using ModelRegistry.Client.Api;

namespace ModelRegistry.Client;

/// <summary>
/// Every type mreg reads or writes as JSON, with its serializer code generated at compile time (no reflection), so the
/// same code runs as a native (ahead-of-time compiled) executable and under the JIT (docs/decisions/0031). A type missing
/// here fails at run time in both, which the command-line tests catch.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
// The API's bodies, as the generated client (docs/openapi.json → RegistryApi) sends and reads them.
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(CreateModel))]
[JsonSerializable(typeof(ModelInfo))]
[JsonSerializable(typeof(PagedResultOfModelInfo))]
[JsonSerializable(typeof(VersionInput))]
[JsonSerializable(typeof(VersionInfo))]
[JsonSerializable(typeof(PagedResultOfVersionInfo))]
[JsonSerializable(typeof(ICollection<ArtifactInfo>))]
[JsonSerializable(typeof(IEnumerable<MetricInput>))]
[JsonSerializable(typeof(ICollection<EvaluationResultInfo>))]
[JsonSerializable(typeof(AliasBody))]
[JsonSerializable(typeof(AliasInfo))]
[JsonSerializable(typeof(TransitionBody))]
[JsonSerializable(typeof(TransitionRequestInfo))]
// mreg's own files and its --json results.
[JsonSerializable(typeof(ClientSettings.Stored))]
[JsonSerializable(typeof(List<HashCache.Entry>))]
[JsonSerializable(typeof(Commands.PushState.Data))]
[JsonSerializable(typeof(ErrorOutput))]
[JsonSerializable(typeof(PushOutput))]
[JsonSerializable(typeof(PullOutput))]
[JsonSerializable(typeof(VerifyOutput))]
[JsonSerializable(typeof(TransitionOutput))]
[JsonSerializable(typeof(AliasOutput))]
[JsonSerializable(typeof(List<VersionRow>))]
[JsonSerializable(typeof(List<ModelRow>))]
[JsonSerializable(typeof(LoginOutput))]
internal sealed partial class MregJsonContext : JsonSerializerContext;

/// <summary>
/// The options of every JSON mreg writes or reads, over <see cref="MregJsonContext"/>'s metadata. (A class of its own: a
/// static initializer in the context's partial class could run before the generated <c>Default</c> is set.)
/// </summary>
internal static class MregJson
{
    /// <summary>camelCase, nulls left out, enums as names, non-ASCII text kept as it is.</summary>
    public static JsonSerializerOptions Settings { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = MregJsonContext.Default,
    };

    /// <summary>The generated metadata of <typeparamref name="T"/>; a type not listed on the context fails here.</summary>
    public static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)Settings.GetTypeInfo(typeof(T));
}

/// <summary><c>--json</c> of a failed command.</summary>
internal sealed record ErrorOutput(ErrorDetail Error);

internal sealed record ErrorDetail(string Message, int ExitCode, int? Status, string? Title, string? Detail, string? Code);

/// <summary><c>mreg push --json</c>.</summary>
internal sealed record PushOutput(string Model, int Version, string? Digest, string? Commit, bool Resumed, long BytesSent, List<PushedFile> Files);

internal sealed record PushedFile(string Path, long Size, string Sha256, string Transfer, string Hashed);

/// <summary><c>mreg pull --json</c>.</summary>
internal sealed record PullOutput(string Model, int Version, string? Digest, string? Commit, string Directory, List<PulledFile> Files);

internal sealed record PulledFile(string Path, long Size, string Sha256, string Status);

/// <summary><c>mreg verify --json</c>.</summary>
internal sealed record VerifyOutput(string Model, int Version, string? Digest, bool Ok, int Files, List<string> Missing, List<string> Extra,
    List<Mismatch> Mismatched);

internal sealed record Mismatch(string Path, string Expected, string Actual);

/// <summary><c>mreg promote --json</c>.</summary>
internal sealed record TransitionOutput(long Id, string Model, int Version, Stage FromStage, Stage ToStage, string Status, int ApprovalsRequired,
    int Approvals, string? DecidedBy, string? DecisionComment, string? Digest);

/// <summary><c>mreg alias set --json</c>.</summary>
internal sealed record AliasOutput(string Model, string Alias, int Version, string? Digest);

/// <summary>A row of <c>mreg ls NAME --json</c>.</summary>
internal sealed record VersionRow(int Number, Stage Stage, string? Digest, string? CreatedBy, DateTimeOffset CreatedAt, string? Source);

/// <summary>A row of <c>mreg ls --json</c>.</summary>
internal sealed record ModelRow(string Name, int Versions, int? Latest, int? Production, DateTimeOffset UpdatedAt);

/// <summary><c>mreg login --json</c>.</summary>
internal sealed record LoginOutput(Uri Url, string ConfigFile);
