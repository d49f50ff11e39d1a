namespace ModelRegistry.Core.Artifacts.Headers;

/// <summary>ggml tensor types (block size in elements, bytes per block) and llama.cpp file types, as GGUF stores them.</summary>
internal static class GgmlTypes
{
    public readonly record struct Block(string Name, ulong BlockSize, ulong TypeSize);

    private static readonly Dictionary<uint, Block> Types = new()
    {
        [0] = new("F32", 1, 4),
        [1] = new("F16", 1, 2),
        [2] = new("Q4_0", 32, 18),
        [3] = new("Q4_1", 32, 20),
        [6] = new("Q5_0", 32, 22),
        [7] = new("Q5_1", 32, 24),
        [8] = new("Q8_0", 32, 34),
        [9] = new("Q8_1", 32, 40),
        [10] = new("Q2_K", 256, 84),
        [11] = new("Q3_K", 256, 110),
        [12] = new("Q4_K", 256, 144),
        [13] = new("Q5_K", 256, 176),
        [14] = new("Q6_K", 256, 210),
        [15] = new("Q8_K", 256, 292),
        [16] = new("IQ2_XXS", 256, 66),
        [17] = new("IQ2_XS", 256, 74),
        [18] = new("IQ3_XXS", 256, 98),
        [19] = new("IQ1_S", 256, 50),
        [20] = new("IQ4_NL", 32, 18),
        [21] = new("IQ3_S", 256, 110),
        [22] = new("IQ2_S", 256, 82),
        [23] = new("IQ4_XS", 256, 136),
        [24] = new("I8", 1, 1),
        [25] = new("I16", 1, 2),
        [26] = new("I32", 1, 4),
        [27] = new("I64", 1, 8),
        [28] = new("F64", 1, 8),
        [29] = new("IQ1_M", 256, 56),
        [30] = new("BF16", 1, 2),
        [34] = new("TQ1_0", 256, 54),
        [35] = new("TQ2_0", 256, 66),
        [39] = new("MXFP4", 32, 17),
    };

    private static readonly Dictionary<uint, string> FileTypes = new()
    {
        [0] = "F32",
        [1] = "F16",
        [2] = "Q4_0",
        [3] = "Q4_1",
        [7] = "Q8_0",
        [8] = "Q5_0",
        [9] = "Q5_1",
        [10] = "Q2_K",
        [11] = "Q3_K_S",
        [12] = "Q3_K_M",
        [13] = "Q3_K_L",
        [14] = "Q4_K_S",
        [15] = "Q4_K_M",
        [16] = "Q5_K_S",
        [17] = "Q5_K_M",
        [18] = "Q6_K",
        [19] = "IQ2_XXS",
        [20] = "IQ2_XS",
        [21] = "Q2_K_S",
        [22] = "IQ3_XS",
        [23] = "IQ3_XXS",
        [24] = "IQ1_S",
        [25] = "IQ4_NL",
        [26] = "IQ3_S",
        [27] = "IQ3_M",
        [28] = "IQ2_S",
        [29] = "IQ2_M",
        [30] = "IQ4_XS",
        [31] = "IQ1_M",
        [32] = "BF16",
        [36] = "TQ1_0",
        [37] = "TQ2_0",
        [38] = "MXFP4_MOE",
    };

    /// <summary>Types this reader does not know still count parameters; only their byte size is not checked.</summary>
    public static bool TryGet(uint type, out Block block) => Types.TryGetValue(type, out block);

    public static string Name(uint type) => Types.TryGetValue(type, out var b) ? b.Name : $"type {type}";

    public static string FileTypeName(uint fileType) => FileTypes.GetValueOrDefault(fileType) ?? $"file type {fileType}";

    /// <summary>The type id of a name (for tests that write GGUF files).</summary>
    public static uint IdOf(string name) => Types.Single(kv => kv.Value.Name == name).Key;
}
