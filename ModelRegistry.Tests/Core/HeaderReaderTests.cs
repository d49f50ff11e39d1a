using System.Text;
using ModelRegistry.Core.Artifacts.Headers;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>The header readers against files generated with known shapes, and against the lies the issue lists.</summary>
public sealed class HeaderReaderTests
{
    private static FileInspection Inspect(string path, byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return FileInspector.Inspect(path, stream, bytes.Length);
    }

    private static string Problem(string path, byte[] bytes)
    {
        var inspection = Inspect(path, bytes);
        Assert.Null(inspection.Facts);
        return Assert.IsType<string>(inspection.HeaderProblem);
    }

    // ---- safetensors ----

    [Fact]
    public void Safetensors_gives_parameter_count_dtypes_and_tensor_count()
    {
        var file = ModelFiles.Safetensors(
        [
            ("model.embed_tokens.weight", "BF16", [1000, 64]),
            ("model.layers.0.mlp.up_proj.weight", "BF16", [256, 64]),
            ("model.norm.weight", "F32", [64]),
        ], new Dictionary<string, string> { ["format"] = "pt" });

        var inspection = Inspect("model.safetensors", file);

        Assert.Null(inspection.HeaderProblem);
        Assert.Equal(ArtifactKind.Safetensors, inspection.Kind);
        Assert.Equal(WeightFormat.Safetensors, inspection.Format);
        var facts = inspection.Facts!;
        Assert.Equal(1000 * 64 + 256 * 64 + 64, facts.ParameterCount);
        Assert.Equal(3, facts.TensorCount);
        Assert.Equal(["BF16: 80384", "F32: 64"], facts.Dtypes);
        Assert.Equal("bf16", facts.Quantization);
    }

    [Fact]
    public void Safetensors_with_a_real_mix_of_dtypes_names_no_single_quantization()
    {
        var file = ModelFiles.Safetensors([("a", "F16", [100]), ("b", "F32", [100])]);

        Assert.Null(Inspect("m.safetensors", file).Facts!.Quantization);
    }

    [Fact]
    public void Safetensors_header_longer_than_the_limit_is_flagged_without_reading_it()
    {
        var file = ModelFiles.SafetensorsRaw("{}", 0, declaredHeaderLength: 200_000_000);

        Assert.Contains("limit", Problem("m.safetensors", file));
    }

    [Fact]
    public void Safetensors_header_longer_than_the_file_is_flagged()
    {
        var file = ModelFiles.SafetensorsRaw("{}", 0, declaredHeaderLength: 5_000);

        Assert.Contains("only", Problem("m.safetensors", file));
    }

    [Fact]
    public void Safetensors_with_overlapping_offsets_is_flagged()
    {
        const string header = """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}""";

        Assert.Contains("overlaps", Problem("m.safetensors", ModelFiles.SafetensorsRaw(header, 24)));
    }

    [Fact]
    public void Safetensors_with_offsets_past_the_end_is_flagged()
    {
        const string header = """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""";

        Assert.Contains("past the end", Problem("m.safetensors", ModelFiles.SafetensorsRaw(header, 8)));
    }

    [Fact]
    public void Safetensors_whose_offsets_disagree_with_shape_and_dtype_is_flagged()
    {
        const string header = """{"a":{"dtype":"BF16","shape":[4],"data_offsets":[0,16]}}""";

        Assert.Contains("needs 8 bytes", Problem("m.safetensors", ModelFiles.SafetensorsRaw(header, 16)));
    }

    [Fact]
    public void Safetensors_with_a_gap_in_the_data_is_flagged()
    {
        const string header = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""";

        Assert.Contains("gap", Problem("m.safetensors", ModelFiles.SafetensorsRaw(header, 16)));
    }

    [Fact]
    public void Safetensors_shape_whose_product_overflows_is_flagged()
    {
        const string header = """{"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,0]}}""";

        Assert.Contains("overflow", Problem("m.safetensors", ModelFiles.SafetensorsRaw(header, 0)));
    }

    [Theory]
    [InlineData("""[1,2,3]""")]
    [InlineData("""{"a":{"dtype":"F32","shape":[[1]],"data_offsets":[0,4]}}""")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}}""")]
    [InlineData("""{"a":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}}""")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}""")]
    [InlineData("""{"__metadata__":{"k":{"nested":"no"}}}""")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1]""")]
    [InlineData("""not json at all""")]
    public void Safetensors_header_of_the_wrong_shape_is_flagged(string header)
    {
        Problem("m.safetensors", ModelFiles.SafetensorsRaw(header, 4));
    }

    [Fact]
    public void Safetensors_header_nested_thousands_deep_is_flagged_quickly()
    {
        var header = new string('[', 50_000) + new string(']', 50_000);

        Problem("m.safetensors", ModelFiles.SafetensorsRaw(header, 0));
    }

    [Fact]
    public void Safetensors_header_is_streamed_through_a_small_buffer_not_loaded_whole()
    {
        // A 5 MB header (mostly whitespace, as the format allows): reading it must not cost 5 MB.
        var file = ModelFiles.SafetensorsRaw("{" + new string(' ', 5_000_000) + "}", 0);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var inspection = Inspect("m.safetensors", file);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Null(inspection.HeaderProblem);
        Assert.True(allocated < 1_000_000, $"allocated {allocated} bytes");
    }

    // ---- GGUF ----

    [Fact]
    public void Gguf_gives_architecture_name_context_file_type_parameters_and_chat_template()
    {
        var inspection = Inspect("tiny-llama.Q8_0.gguf", GgufBuilder.Llama().Build());

        Assert.Null(inspection.HeaderProblem);
        Assert.Equal(ArtifactKind.Gguf, inspection.Kind);
        Assert.Equal(WeightFormat.Gguf, inspection.Format);
        var facts = inspection.Facts!;
        Assert.Equal("llama", facts.Architecture);
        Assert.Equal("Tiny Llama", facts.ModelName);
        Assert.Equal(8192, facts.ContextLength);
        Assert.Equal("Q8_0", facts.Quantization);
        Assert.Equal(64 * 3 + 64, facts.ParameterCount);
        Assert.Equal(2, facts.TensorCount);
        Assert.True(facts.HasChatTemplate);
    }

    [Fact]
    public void Gguf_is_recognised_by_its_magic_whatever_its_name()
    {
        Assert.Equal(ArtifactKind.Gguf, Inspect("weights/model.bin", GgufBuilder.Llama().Build()).Kind);
    }

    [Fact]
    public void Gguf_without_a_chat_template_or_file_type_says_so()
    {
        var file = new GgufBuilder().String("general.architecture", "qwen2").UInt64("qwen2.context_length", 32768)
            .Tensor("w", 30, 128, 2).Build();

        var facts = Inspect("q.gguf", file).Facts!;

        Assert.False(facts.HasChatTemplate);
        Assert.Equal(32768, facts.ContextLength);
        Assert.Equal("BF16", facts.Quantization); // the dominant tensor type when general.file_type is absent
        Assert.Equal(256, facts.ParameterCount);
    }

    [Fact]
    public void Gguf_with_a_lying_tensor_count_is_flagged()
    {
        var builder = GgufBuilder.Llama();
        builder.TensorCountOverride = 50;

        Problem("m.gguf", builder.Build());
    }

    [Fact]
    public void Gguf_claiming_billions_of_tensors_is_flagged_before_reading_them()
    {
        var builder = GgufBuilder.Llama();
        builder.TensorCountOverride = ulong.MaxValue / 2;

        Assert.Contains("limit", Problem("m.gguf", builder.Build()));
    }

    [Fact]
    public void Gguf_string_of_2_to_the_64_bytes_is_flagged_without_allocating()
    {
        var file = new GgufBuilder()
            .Raw("general.description", 8, w => w.Write(ulong.MaxValue))
            .Tensor("w", 0, 4).Build();

        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Contains("past the end", Problem("m.gguf", file));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
    }

    [Fact]
    public void Gguf_kept_string_of_2_to_the_64_bytes_is_flagged()
    {
        var file = new GgufBuilder().Raw("general.architecture", 8, w => w.Write(ulong.MaxValue)).Build();

        Assert.Contains("limit", Problem("m.gguf", file));
    }

    [Fact]
    public void Gguf_arrays_nested_deeply_are_flagged_without_recursion()
    {
        // 100 000 nested arrays: a recursive reader would overflow its stack long before the end.
        const int depth = 100_000;
        var file = new GgufBuilder().Raw("evil.nested", 9, w =>
        {
            for (var i = 0; i < depth; i++)
            {
                w.Write(9u);
                w.Write(1UL);
            }

            w.Write(4u);
            w.Write(0UL);
        }).Build();

        Assert.Contains("nested", Problem("m.gguf", file));
    }

    [Fact]
    public void Gguf_array_claiming_2_to_the_40_elements_is_flagged()
    {
        var file = new GgufBuilder().Raw("tokenizer.ggml.scores", 9, w =>
        {
            w.Write(6u);
            w.Write(1UL << 40);
        }).Build();

        Assert.Contains("limit", Problem("m.gguf", file));
    }

    [Fact]
    public void Gguf_tensor_offset_past_the_end_is_flagged()
    {
        var file = new GgufBuilder().String("general.architecture", "llama")
            .TensorAt("w", 0, 1UL << 40, 64).Build();

        Assert.Contains("past the end", Problem("m.gguf", file));
    }

    [Fact]
    public void Gguf_tensor_data_cut_short_is_flagged()
    {
        var builder = GgufBuilder.Llama();
        builder.DataBytesOverride = 100;

        Assert.Contains("past the end", Problem("m.gguf", builder.Build()));
    }

    [Fact]
    public void Gguf_truncated_inside_its_header_is_flagged()
    {
        var full = GgufBuilder.Llama().Build();

        foreach (var cut in new[] { 3, 10, 30, 60, 100, 200, 300 })
        {
            Problem("m.gguf", full[..cut]);
        }
    }

    [Fact]
    public void Gguf_tensor_with_too_many_dimensions_is_flagged()
    {
        var file = new GgufBuilder().Tensor("w", 0, 1, 1, 1, 1, 1).Build();

        Assert.Contains("dimensions", Problem("m.gguf", file));
    }

    [Fact]
    public void Gguf_version_1_and_unknown_versions_are_flagged()
    {
        Assert.Contains("version 1", Problem("m.gguf", new GgufBuilder { Version = 1 }.Build()));
        Assert.Contains("version", Problem("m.gguf", new GgufBuilder { Version = 0x03000000 }.Build()));
    }

    [Fact]
    public void File_named_gguf_without_the_magic_is_flagged()
    {
        Assert.Contains("magic", Problem("m.gguf", Encoding.UTF8.GetBytes("definitely not a GGUF file, just text")));
    }

    // ---- config.json ----

    [Fact]
    public void Config_gives_architecture_context_length_and_dtype()
    {
        var facts = Inspect("config.json", ModelFiles.Config()).Facts!;

        Assert.Equal("LlamaForCausalLM", facts.Architecture);
        Assert.Equal(131072, facts.ContextLength);
        Assert.Equal("bf16", facts.Quantization);
    }

    [Fact]
    public void Config_of_a_multimodal_model_reads_the_text_config_and_quantization_config()
    {
        const string json = """
            {"model_type":"llava","text_config":{"max_position_embeddings":4096},
             "quantization_config":{"quant_method":"awq","bits":4}}
            """;

        var facts = Inspect("config.json", Encoding.UTF8.GetBytes(json)).Facts!;

        Assert.Equal("llava", facts.Architecture);
        Assert.Equal(4096, facts.ContextLength);
        Assert.Equal("awq 4-bit", facts.Quantization);
    }

    [Fact]
    public void Config_in_a_subfolder_is_read_too_but_other_json_is_not()
    {
        Assert.Equal(ArtifactKind.ModelConfig, Inspect("text_encoder/config.json", ModelFiles.Config()).Kind);
        Assert.Equal(ArtifactKind.Other, Inspect("tokenizer_config.json", ModelFiles.Config()).Kind);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("{\"architectures\": [")]
    [InlineData("\"just a string\"")]
    public void Config_that_is_not_a_json_object_is_flagged(string json)
    {
        Problem("config.json", Encoding.UTF8.GetBytes(json));
    }

    [Fact]
    public void Config_nested_too_deeply_is_flagged()
    {
        var json = "{\"a\":" + string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 201);

        Problem("config.json", Encoding.UTF8.GetBytes(json));
    }

    [Fact]
    public void Config_with_nonsense_values_gives_nothing_for_them()
    {
        const string json = """{"architectures":[42],"max_position_embeddings":-5,"torch_dtype":"float128"}""";

        var facts = Inspect("config.json", Encoding.UTF8.GetBytes(json)).Facts!;

        Assert.True(facts.IsEmpty);
    }

    // ---- pickle and zip ----

    [Theory]
    [InlineData("pytorch_model.bin")]
    [InlineData("weights/model.pt")]
    [InlineData("adapter.pth")]
    [InlineData("tokenizer.pkl")]
    public void Pickle_extensions_are_flagged_unsafe(string path)
    {
        var inspection = Inspect(path, [1, 2, 3, 4]);

        Assert.True(inspection.UnsafeFormat);
        Assert.Equal(ArtifactKind.Pickle, inspection.Kind);
        Assert.Null(inspection.Facts);
    }

    [Fact]
    public void Pickle_and_zip_magic_are_flagged_unsafe_whatever_the_name()
    {
        Assert.True(Inspect("data.dat", [0x80, 0x04, 0x95, 0x00]).UnsafeFormat);
        Assert.True(Inspect("archive", "PK\u0003\u0004rest"u8.ToArray()).UnsafeFormat);
        Assert.Equal(WeightFormat.Pytorch, Inspect("model.pt", "PK\u0003\u0004rest"u8.ToArray()).Format);
    }

    [Theory]
    [MemberData(nameof(PickleFiles.Dodges), MemberType = typeof(PickleFiles))]
    public void Pickles_are_flagged_unsafe_by_content_and_by_name(string what, string path)
    {
        var inspection = Inspect(path, PickleFiles.Dodge(path));

        Assert.True(inspection.UnsafeFormat, what);
        Assert.Equal(ArtifactKind.Pickle, inspection.Kind);
        Assert.Null(inspection.Facts);
    }

    [Fact]
    public void A_broken_compressed_stream_is_judged_on_what_it_unpacks_and_never_throws()
    {
        // 0x78 0x9C opens a zlib stream; what follows is not deflate data (zlib then throws a ZLibException, an IOException).
        var broken = (byte[])[0x78, 0x9C, .. "this is not deflate data at all, just text"u8];

        var inspection = Inspect("notes.dat", broken);

        Assert.False(inspection.UnsafeFormat);
    }

    [Fact]
    public void A_gguf_file_that_is_also_a_zip_archive_is_read_and_flagged()
    {
        var polyglot = (byte[])[.. GgufBuilder.Llama().Build(), .. PickleFiles.TorchZip()];

        var inspection = Inspect("model.gguf", polyglot);

        Assert.Equal(ArtifactKind.Gguf, inspection.Kind);
        Assert.True(inspection.UnsafeFormat);
    }

    /// <summary>Files that merely resemble a pickle or an archive at one spot stay unflagged.</summary>
    public static TheoryData<string, string> NotPickles() => new()
    {
        { "safetensors whose header length starts like PROTO 2", "model.safetensors" },
        { "numpy float array", "floats.npy" },
        { "text starting with pickle opcodes", "notes.txt" },
        { "vocabulary that starts like a GLOBAL", "vocab.txt" },
        { "stray zip end record", "data.dat" },
    };

    private static byte[] NotPickle(string name) => name switch
    {
        // 0x280 = 640 bytes of header: the file starts 80 02 00 00 …
        "model.safetensors" => ModelFiles.SafetensorsRaw(
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}".PadRight(640), 16),
        "floats.npy" => PickleFiles.NpyFloats(),
        "notes.txt" => "(see the model card)\nc\n"u8.ToArray(),
        "vocab.txt" => "cls\nsep\n.\nthe\nof\n"u8.ToArray(),
        // An end record that claims one 46-byte directory entry where there is none.
        _ => [.. "plain data, then "u8, .. new byte[46], .. "PK\u0005\u0006"u8, 0, 0, 0, 0, 1, 0, 1, 0, 46, 0, 0, 0, 17, 0, 0, 0, 0, 0],
    };

    [Theory]
    [MemberData(nameof(NotPickles))]
    public void Lookalikes_are_not_flagged(string what, string path)
    {
        var inspection = Inspect(path, NotPickle(path));

        Assert.False(inspection.UnsafeFormat, what);
    }

    [Fact]
    public void Ordinary_files_are_neither_read_nor_flagged()
    {
        var inspection = Inspect("tokenizer.json", "{\"version\":\"1.0\"}"u8.ToArray());

        Assert.Equal(ArtifactKind.Other, inspection.Kind);
        Assert.False(inspection.UnsafeFormat);
        Assert.Null(inspection.HeaderProblem);
    }
}
