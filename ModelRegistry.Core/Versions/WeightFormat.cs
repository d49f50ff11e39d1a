namespace ModelRegistry.Core.Versions;

/// <summary>How a version's weights are stored.</summary>
public enum WeightFormat
{
    Unknown = 0,
    Safetensors,
    Gguf,
    Pytorch,
    Onnx,
    Other,
}
