using System.Security.Cryptography;
using ModelRegistry.Core.Common;

namespace ModelRegistry.Core.Artifacts;

/// <summary>
/// A stored file's bytes on their way to a reader, checked against the SHA-256 and length the database recorded.
/// Read from start to end, the bytes are hashed as they pass, but the last <see cref="TailBytes"/> are held back:
/// they are read in full, the hash is checked and the store must have nothing more, and only then are they handed
/// over; otherwise the read throws <see cref="ArtifactIntegrityException"/>. A download therefore never completes
/// with wrong bytes: a file of up to <see cref="TailBytes"/> fails before its response starts, a larger one is cut
/// off before its end. A reader that seeks (a range request) gets the bytes unchecked: a part cannot be checked
/// without the whole — except a range from the first byte of a blob not verified since it last changed, which is the
/// whole file and is checked as it passes. A range of a blob that was (<c>verifiedBefore</c>) is never hashed again,
/// even one from the first byte: the client asked for a range, so it checks the result itself (docs/decisions/0033).
/// Works over any store's stream (file or object store), so every download path shares it.
/// </summary>
public sealed class VerifyingStream : Stream
{
    /// <summary>How much of the end is held back until the whole file has been checked.</summary>
    public const int TailBytes = 64 * 1024;

    private readonly Stream _inner;
    private readonly string _expectedSha256;
    private readonly long _expectedLength;
    private readonly Action<bool>? _onChecked;
    private readonly bool _verifiedBefore;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _position;
    private bool _verifying = true;
    private byte[]? _tail;
    private int _tailOffset;

    /// <param name="inner">The stored bytes, positioned at the start.</param>
    /// <param name="expectedSha256">Lowercase hex SHA-256 the bytes must have.</param>
    /// <param name="expectedLength">The length the bytes must have.</param>
    /// <param name="onChecked">Called once the whole file was read in order: true when it matched, false when not.</param>
    /// <param name="verifiedBefore">The blob was verified since the store last changed it: a reader that seeks, even to
    /// the first byte, gets it unchecked. Reading it from start to end without seeking (a whole download) still checks it.</param>
    public VerifyingStream(Stream inner, string expectedSha256, long expectedLength, Action<bool>? onChecked = null,
        bool verifiedBefore = false)
    {
        _onChecked = onChecked;
        _verifiedBefore = verifiedBefore;
        _inner = inner;
        _expectedSha256 = expectedSha256;
        _expectedLength = expectedLength;
    }

    /// <summary>True once every byte was read in order and matched.</summary>
    public bool Verified { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => _inner.CanSeek;
    public override bool CanWrite => false;
    public override long Length => _inner.Length;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        if (_tail is not null)
        {
            throw new NotSupportedException("Cannot seek once the end of the file has been read.");
        }

        var target = _inner.Seek(offset, origin);
        if (target != _position || _verifiedBefore)
        {
            // A range: a part of the file cannot be checked on its own, and a range of a verified blob is not re-hashed.
            _verifying = false;
        }

        _position = target;
        return target;
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        // Downloads read asynchronously; this is for completeness (file and object streams both read either way).
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return 0;
        }

        if (!_verifying)
        {
            var read = await _inner.ReadAsync(buffer, cancellationToken);
            _position += read;
            return read;
        }

        if (_tail is null)
        {
            var beforeTail = _expectedLength - TailBytes - _position;
            if (beforeTail > 0)
            {
                // Never into the tail: that is read and checked as a whole.
                var n = await _inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, beforeTail)], cancellationToken);
                if (n == 0)
                {
                    Fail($"the store returned {_position} of {_expectedLength} bytes");
                }

                _hash.AppendData(buffer.Span[..n]);
                _position += n;
                return n;
            }

            _tail = await ReadTailAsync(cancellationToken);
        }

        var served = Math.Min(buffer.Length, _tail.Length - _tailOffset);
        _tail.AsSpan(_tailOffset, served).CopyTo(buffer.Span);
        _tailOffset += served;
        _position += served;
        return served;
    }

    private async Task<byte[]> ReadTailAsync(CancellationToken ct)
    {
        var tail = new byte[_expectedLength - _position];
        var filled = 0;
        while (filled < tail.Length)
        {
            var n = await _inner.ReadAsync(tail.AsMemory(filled), ct);
            if (n == 0)
            {
                Fail($"the store returned {_position + filled} of {_expectedLength} bytes");
            }

            filled += n;
        }

        if (await _inner.ReadAsync(new byte[1], ct) > 0)
        {
            Fail($"the store holds more than the recorded {_expectedLength} bytes");
        }

        _hash.AppendData(tail);
        var actual = Convert.ToHexStringLower(_hash.GetHashAndReset());
        if (actual != _expectedSha256)
        {
            Fail($"the stored bytes hash to {actual}");
        }

        Verified = true;
        _onChecked?.Invoke(true);
        return tail;
    }

    private void Fail(string what)
    {
        _verifying = false;
        _onChecked?.Invoke(false);
        throw new ArtifactIntegrityException(
            $"The stored bytes of {_expectedSha256} are damaged ({what}); they are not served. An operator should run verify-artifacts.");
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync();
        _hash.Dispose();
        await base.DisposeAsync();
    }
}
