namespace ModelRegistry.Core.Artifacts;

/// <summary>
/// The content type recorded for a file, from its name only: what a sender claims is not trusted, and
/// nothing here is a type a browser would run (downloads are also sent as attachments with nosniff).
/// </summary>
public static class ContentTypes
{
    public const string Binary = "application/octet-stream";

    private static readonly Dictionary<string, string> ByExtension = new(StringComparer.Ordinal)
    {
        [".json"] = "application/json",
        [".jsonl"] = "application/jsonl",
        [".txt"] = "text/plain",
        [".md"] = "text/markdown",
        [".py"] = "text/x-python",
        [".yaml"] = "application/yaml",
        [".yml"] = "application/yaml",
        [".csv"] = "text/csv",
        [".jinja"] = "text/plain",
        [".model"] = Binary,
        [".safetensors"] = Binary,
        [".gguf"] = Binary,
    };

    public static string For(string path) => ByExtension.GetValueOrDefault(ArtifactPath.Extension(path)) ?? Binary;
}
