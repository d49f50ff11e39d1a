using System.Security.Cryptography;
using ModelRegistry.Core.Artifacts.Uploads;

namespace ModelRegistry.Tests.Core;

/// <summary>
/// The SHA-256 whose state a resumable upload saves: wherever the bytes are split, saved and restored (a restart between
/// any two requests), and whichever engine hashes each part, the digest is the framework's.
/// </summary>
public sealed class ResumableSha256Tests
{
    private static string Expected(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static TheoryData<bool, bool> Engines() => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    [Theory]
    [MemberData(nameof(Engines))]
    public void Saving_and_restoring_at_any_split_gives_the_same_digest(bool nativeBefore, bool nativeAfter)
    {
        var random = new Random(18);
        for (var length = 0; length <= 200; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            for (var cut = 0; cut <= length; cut++)
            {
                var first = new ResumableSha256 { PreferNative = nativeBefore };
                first.Append(data.AsSpan(0, cut));
                var resumed = ResumableSha256.Import(first.Export());
                resumed.PreferNative = nativeAfter;
                resumed.Append(data.AsSpan(cut));

                Assert.True(Expected(data) == resumed.HashHex(), $"{length} bytes cut at {cut}");
                Assert.Equal(length, resumed.Length);
            }
        }
    }

    [Fact]
    public void Many_uneven_appends_over_megabytes_give_the_frameworks_digest()
    {
        var data = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 77);
        var sha = new ResumableSha256();
        var random = new Random(7);
        var at = 0;
        while (at < data.Length)
        {
            var n = Math.Min(data.Length - at, random.Next(1, 300_000));
            sha.Append(data.AsSpan(at, n));
            at += n;
            if (random.Next(4) == 0)
            {
                sha = ResumableSha256.Import(sha.Export());
                sha.PreferNative = random.Next(2) == 0;
            }
        }

        Assert.Equal(Expected(data), sha.HashHex());
        // Reading the digest leaves the state alone: more bytes may follow.
        sha.Append([1, 2, 3]);
        Assert.Equal(Expected([.. data, 1, 2, 3]), sha.HashHex());
    }

    [Fact]
    public void Libcrypto_is_used_where_the_platform_has_it()
    {
        // .NET itself hashes with OpenSSL on Linux, so there it must be found (and agree with the managed code).
        Assert.Equal(OperatingSystem.IsLinux(), ResumableSha256.NativeAvailable);
    }

    [Fact]
    public void Bytes_that_are_not_a_saved_state_are_refused()
    {
        var state = new ResumableSha256().Export();
        state[0] = 9;

        Assert.Throws<ArgumentException>(() => ResumableSha256.Import(state));
        Assert.Throws<ArgumentException>(() => ResumableSha256.Import(new byte[10]));
    }
}
