using System.Buffers.Binary;
using System.Diagnostics;
using ModelRegistry.Core.Artifacts.Headers;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>
/// Property: whatever the bytes, inspecting a file returns (flagged or not) and never throws, in bounded time
/// and memory. Mutations of valid files reach deeper into the readers than random bytes would.
/// </summary>
public sealed class HeaderFuzzTests
{
    /// <summary>400 in the suite; set HEADER_FUZZ_MUTATIONS for a longer hunt.</summary>
    private static readonly int MutationsPerFile =
        int.TryParse(Environment.GetEnvironmentVariable("HEADER_FUZZ_MUTATIONS"), out var n) && n > 0 ? n : 400;
    private static readonly TimeSpan PerFileBudget = TimeSpan.FromSeconds(2);

    public static TheoryData<string, string> Seeds() => new()
    {
        { "model.safetensors", "safetensors" },
        { "tiny.gguf", "gguf" },
        { "config.json", "config" },
    };

    private static byte[] Seed(string kind) => kind switch
    {
        "safetensors" => ModelFiles.Safetensors(
            [("embed", "BF16", [16, 8]), ("norm", "F32", [8]), ("head", "F16", [8, 4])],
            new Dictionary<string, string> { ["format"] = "pt" }),
        "gguf" => GgufBuilder.Llama().Build(),
        _ => ModelFiles.Config(),
    };

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Mutated_headers_never_throw_and_finish_quickly(string path, string kind)
    {
        var seed = Seed(kind);
        var random = new Random((int.TryParse(Environment.GetEnvironmentVariable("HEADER_FUZZ_SEED"), out var seedValue) ? seedValue : 20261127) + kind.Length);
        var flagged = 0;
        var total = Stopwatch.StartNew();

        for (var i = 0; i < MutationsPerFile; i++)
        {
            var mutant = Mutate(seed, random);
            var clock = Stopwatch.StartNew();
            using var stream = new MemoryStream(mutant, writable: false);
            var before = GC.GetAllocatedBytesForCurrentThread();

            var inspection = FileInspector.Inspect(path, stream, mutant.Length);

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(clock.Elapsed < PerFileBudget, $"mutation {i} took {clock.Elapsed}");
            // Allocation is bounded by the real file (a config.json is read whole), never by a number in it.
            Assert.True(allocated < 4_000_000 + 2L * mutant.Length, $"mutation {i} allocated {allocated} bytes");
            if (inspection.HeaderProblem is not null)
            {
                flagged++;
                Assert.Null(inspection.Facts);
            }
        }

        // The mutations must actually hurt: otherwise the test proves nothing.
        Assert.InRange(flagged, MutationsPerFile / 4, MutationsPerFile);
        Assert.True(total.Elapsed < PerFileBudget * MutationsPerFile / 20, $"{MutationsPerFile} mutations took {total.Elapsed}");
    }

    public static TheoryData<string, string> UnsafeSeeds() => new()
    {
        { "blob.dat", "pickle" },
        { "notes.txt", "pickle0" },
        { "weights.dat", "torch zip" },
        { "arrays.npy", "npy" },
        { "model.dat", "zlib pickle" },
    };

    private static byte[] UnsafeSeed(string kind) => kind switch
    {
        "pickle" => PickleFiles.Protocol4(),
        "pickle0" => PickleFiles.Protocol0(),
        "torch zip" => PickleFiles.TorchZip(PickleFiles.ShellStub()),
        "npy" => PickleFiles.NpyObjects(),
        _ => PickleFiles.Zlib(PickleFiles.Protocol4()),
    };

    /// <summary>The content checks (pickle opcodes, zip end records, numpy headers, compressed streams) on damaged input.</summary>
    [Theory]
    [MemberData(nameof(UnsafeSeeds))]
    public void Mutated_pickles_archives_and_arrays_never_throw_and_finish_quickly(string path, string kind)
    {
        var seed = UnsafeSeed(kind);
        var random = new Random((int.TryParse(Environment.GetEnvironmentVariable("HEADER_FUZZ_SEED"), out var seedValue) ? seedValue : 20261204) + kind.Length);

        for (var i = 0; i < MutationsPerFile; i++)
        {
            var mutant = Mutate(seed, random);
            var clock = Stopwatch.StartNew();
            using var stream = new MemoryStream(mutant, writable: false);
            var before = GC.GetAllocatedBytesForCurrentThread();

            FileInspector.Inspect(path, stream, mutant.Length);

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(clock.Elapsed < PerFileBudget, $"mutation {i} took {clock.Elapsed}");
            // The window, the zip tail and at most 1 MiB of a compressed stream: bounded whatever the bytes say.
            Assert.True(allocated < 4_000_000 + 2L * mutant.Length, $"mutation {i} allocated {allocated} bytes");
        }
    }

    private static readonly ulong[] Extremes =
        [0, 1, 0x7F, 0xFF, 0xFFFF, 0xFFFF_FFFF, 1UL << 31, 1UL << 32, 1UL << 40, long.MaxValue, ulong.MaxValue, ulong.MaxValue - 7];

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = (byte[])seed.Clone();
        var steps = random.Next(1, 4);
        for (var s = 0; s < steps && bytes.Length > 0; s++)
        {
            switch (random.Next(6))
            {
                case 0: // flip bits
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1: // random byte
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                    break;
                case 2 when bytes.Length >= 8: // an extreme 64-bit number where a length or count may be
                    var at = random.Next(bytes.Length - 7);
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), Extremes[random.Next(Extremes.Length)]);
                    break;
                case 3 when bytes.Length >= 4: // an extreme 32-bit number (types, dimension counts)
                    var at32 = random.Next(bytes.Length - 3);
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at32), (uint)Extremes[random.Next(Extremes.Length)]);
                    break;
                case 4: // truncate
                    bytes = bytes[..random.Next(bytes.Length)];
                    break;
                default: // repeat a slice
                    var start = random.Next(bytes.Length);
                    var length = random.Next(Math.Min(64, bytes.Length - start) + 1);
                    var slice = bytes.AsSpan(start, length).ToArray();
                    var insertAt = random.Next(bytes.Length);
                    bytes = [.. bytes[..insertAt], .. slice, .. bytes[insertAt..]];
                    break;
            }
        }

        return bytes;
    }
}
