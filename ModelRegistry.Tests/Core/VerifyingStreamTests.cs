using System.Security.Cryptography;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Common;

namespace ModelRegistry.Tests.Core;

/// <summary>The check every download passes through: the recorded hash and length, before the last bytes leave.</summary>
public sealed class VerifyingStreamTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Reads like a download does (64 KiB at a time), returning what was handed over before any failure.</summary>
    private static async Task<(byte[] Delivered, Exception? Failure)> DownloadAsync(Stream stream)
    {
        var delivered = new MemoryStream();
        var buffer = new byte[64 * 1024];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, Ct)) > 0)
            {
                delivered.Write(buffer, 0, n);
            }

            return (delivered.ToArray(), null);
        }
        catch (ArtifactIntegrityException e)
        {
            return (delivered.ToArray(), e);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(VerifyingStream.TailBytes)]
    [InlineData(VerifyingStream.TailBytes + 1)]
    [InlineData(1_000_003)]
    public async Task Intact_bytes_pass_unchanged_and_are_marked_verified(int length)
    {
        var bytes = RandomNumberGenerator.GetBytes(length);
        await using var stream = new VerifyingStream(new MemoryStream(bytes), Sha(bytes), length);

        var (delivered, failure) = await DownloadAsync(stream);

        Assert.Null(failure);
        Assert.Equal(bytes, delivered);
        Assert.True(stream.Verified);
    }

    [Fact]
    public async Task A_changed_small_file_fails_before_a_single_byte_is_handed_over()
    {
        var bytes = RandomNumberGenerator.GetBytes(10_000);
        var stored = (byte[])bytes.Clone();
        stored[^1] ^= 1;
        await using var stream = new VerifyingStream(new MemoryStream(stored), Sha(bytes), bytes.Length);

        var (delivered, failure) = await DownloadAsync(stream);

        Assert.IsType<ArtifactIntegrityException>(failure);
        Assert.Empty(delivered);
    }

    [Fact]
    public async Task A_changed_large_file_fails_with_its_last_64_KiB_held_back()
    {
        var bytes = RandomNumberGenerator.GetBytes(1_000_000);
        var stored = (byte[])bytes.Clone();
        stored[0] ^= 1;
        await using var stream = new VerifyingStream(new MemoryStream(stored), Sha(bytes), bytes.Length);

        var (delivered, failure) = await DownloadAsync(stream);

        Assert.Contains("hash to", Assert.IsType<ArtifactIntegrityException>(failure).Message);
        Assert.Equal(bytes.Length - VerifyingStream.TailBytes, delivered.Length);
    }

    [Fact]
    public async Task Stored_bytes_longer_or_shorter_than_recorded_fail()
    {
        var bytes = RandomNumberGenerator.GetBytes(100_000);

        await using var longer = new VerifyingStream(new MemoryStream([.. bytes, 0]), Sha(bytes), bytes.Length);
        await using var shorter = new VerifyingStream(new MemoryStream(bytes[..^1]), Sha(bytes), bytes.Length);

        Assert.Contains("more than the recorded", (await DownloadAsync(longer)).Failure?.Message);
        Assert.Contains("returned 99999 of 100000", (await DownloadAsync(shorter)).Failure?.Message);
    }

    [Fact]
    public async Task A_range_after_a_seek_is_served_unchecked()
    {
        var bytes = RandomNumberGenerator.GetBytes(10_000);
        var stored = (byte[])bytes.Clone();
        stored[0] ^= 1;
        await using var stream = new VerifyingStream(new MemoryStream(stored), Sha(bytes), bytes.Length);

        stream.Seek(5_000, SeekOrigin.Begin);
        var (delivered, failure) = await DownloadAsync(stream);

        Assert.Null(failure);
        Assert.Equal(bytes[5_000..], delivered);
        Assert.False(stream.Verified);
    }

    [Fact]
    public async Task A_range_from_the_first_byte_is_checked_unless_the_blob_was_verified_before()
    {
        var bytes = RandomNumberGenerator.GetBytes(1_000_000);
        var stored = (byte[])bytes.Clone();
        stored[500_000] ^= 1;

        // Not verified since it changed: `bytes=0-` is the whole file, checked as it passes.
        await using (var unverified = new VerifyingStream(new MemoryStream(stored), Sha(bytes), bytes.Length))
        {
            unverified.Seek(0, SeekOrigin.Begin);
            var (delivered, failure) = await DownloadAsync(unverified);
            Assert.IsType<ArtifactIntegrityException>(failure);
            Assert.Equal(bytes.Length - VerifyingStream.TailBytes, delivered.Length);
        }

        // Verified before: a range, even from the first byte, is handed over as stored — the client checks it.
        await using (var verified = new VerifyingStream(new MemoryStream(stored), Sha(bytes), bytes.Length, verifiedBefore: true))
        {
            verified.Seek(0, SeekOrigin.Begin);
            var (delivered, failure) = await DownloadAsync(verified);
            Assert.Null(failure);
            Assert.Equal(stored, delivered);
            Assert.False(verified.Verified);
        }

        // A whole download (no seek) is checked even of a blob verified before.
        await using (var whole = new VerifyingStream(new MemoryStream(stored), Sha(bytes), bytes.Length, verifiedBefore: true))
        {
            var (delivered, failure) = await DownloadAsync(whole);
            Assert.IsType<ArtifactIntegrityException>(failure);
            Assert.Equal(bytes.Length - VerifyingStream.TailBytes, delivered.Length);
        }
    }
}
