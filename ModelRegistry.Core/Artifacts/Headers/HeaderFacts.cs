using System.Text.Json.Serialization;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Artifacts.Headers;

/// <summary>What a file's header says about the model. Every value is optional: each format tells different things.</summary>
public sealed record HeaderFacts
{
    /// <summary><c>LlamaForCausalLM</c> (config.json) or <c>llama</c> (GGUF <c>general.architecture</c>).</summary>
    public string? Architecture { get; init; }

    /// <summary>GGUF <c>general.name</c>.</summary>
    public string? ModelName { get; init; }

    /// <summary>Tokens: config.json <c>max_position_embeddings</c>, GGUF <c>{arch}.context_length</c>.</summary>
    public long? ContextLength { get; init; }

    /// <summary>Sum of the elements of every tensor in this file (a shard holds part of the model).</summary>
    public long? ParameterCount { get; init; }

    /// <summary>GGUF file type (<c>Q4_K_M</c>), a config's quantization method, or the one dtype of a safetensors file (<c>bf16</c>).</summary>
    public string? Quantization { get; init; }

    /// <summary>Tensor element types and how many parameters each holds, largest first, e.g. <c>BF16: 8030261248</c>.</summary>
    public IReadOnlyList<string> Dtypes { get; init; } = [];

    public int? TensorCount { get; init; }

    /// <summary>GGUF: whether <c>tokenizer.chat_template</c> is present.</summary>
    public bool? HasChatTemplate { get; init; }

    /// <summary>GGUF <c>split.count</c> when the model is split over several files.</summary>
    public int? SplitCount { get; init; }

    /// <summary>True when nothing was found (a config.json with none of the known keys).</summary>
    [JsonIgnore]
    public bool IsEmpty => Architecture is null && ModelName is null && ContextLength is null && ParameterCount is null
        && Quantization is null && Dtypes.Count == 0 && TensorCount is null && HasChatTemplate is null;
}

/// <summary>What kind of file an artifact is, as far as the registry reads it.</summary>
public enum ArtifactKind
{
    Other = 0,
    Safetensors,
    Gguf,
    ModelConfig,
    /// <summary>Pickle-based (PyTorch <c>.bin</c>/<c>.pt</c>, zip archives, numpy object arrays, joblib): never loaded, flagged unsafe.</summary>
    Pickle,
    Onnx,
}

/// <summary>The outcome of reading a stored file's header.</summary>
/// <param name="Kind">What the file is.</param>
/// <param name="Format">The weight format it implies (<see cref="WeightFormat.Unknown"/> for tokenizer files, configs …).</param>
/// <param name="UnsafeFormat">Pickle, zip or numpy object array (by content or name): loading it with the usual tools can run code.</param>
/// <param name="HeaderProblem">Why the header could not be read; the file is kept, but nothing from it is used.</param>
/// <param name="Facts">What the header says, when it could be read.</param>
public sealed record FileInspection(ArtifactKind Kind, WeightFormat Format, bool UnsafeFormat, string? HeaderProblem, HeaderFacts? Facts)
{
    public static FileInspection Plain(ArtifactKind kind = ArtifactKind.Other, WeightFormat format = WeightFormat.Unknown) =>
        new(kind, format, false, null, null);
}

/// <summary>A header that breaks its format's rules or the registry's limits. Caught by <see cref="FileInspector"/>.</summary>
public sealed class HeaderFormatException(string message, Exception? inner = null) : Exception(message, inner);
