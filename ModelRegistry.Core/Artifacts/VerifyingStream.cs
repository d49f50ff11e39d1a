using System.Security.Cryptography;
using ModelRegistry.Core.Common;

namespace ModelRegistry.Core.Artifacts;

/// <summary>
/// A stored file's bytes on their way to a reader, checked against the SHA-256 and length the database recorded.
/// Read from start to end, the bytes are hashed as they pass, and the read that would hand over the last of them
/// first makes sure nothing follows and that the hash matches; otherwise it throws
/// <see cref="ArtifactIntegrityException"/> instead of returning them. A download therefore never completes with
/// wrong bytes: a small file fails before its response starts, a large one is cut off before its final chunk.
/// A reader that seeks (a range request) gets the bytes unchecked: a part cannot be checked without the whole.
/// Works over any store's stream (file or object store), so every download path shares it.
/// </summary>
public sealed class VerifyingStream : Stream
{
    private readonly Stream _inner;
    private readonly string _expectedSha256;
    private readonly long _expectedLength;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _position;
    private bool _verifying = true;

    /// <param name="inner">The stored bytes, positioned at the start.</param>
    /// <param name="expectedSha256">Lowercase hex SHA-256 the bytes must have.</param>
    /// <param name="expectedLength">The length the bytes must have.</param>
    public VerifyingStream(Stream inner, string expectedSha256, long expectedLength)
    {
        _inner = inner;
        _expectedSha256 = expectedSha256;
        _expectedLength = expectedLength;
    }

    /// <summary>True once every byte was read in order and matched (for tests and logs).</summary>
    public bool Verified { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => _inner.CanSeek;
    public override bool CanWrite => false;
    public override long Length => _inner.Length;

    public override long Position
    {
        get => _inner.CanSeek ? _inner.Position : _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = _inner.Seek(offset, origin);
        if (target != _position)
        {
            // A range: the bytes handed out are a part of the file, which cannot be checked on its own.
            _verifying = false;
        }

        _position = target;
        return target;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = _inner.Read(buffer);
        Check(buffer[..n], () => ProbeEnd());
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await _inner.ReadAsync(buffer, cancellationToken);
        if (_verifying && (n == 0 || _position + n >= _expectedLength))
        {
            // The last bytes: nothing may follow them.
            var extra = n == 0 ? 0 : await ProbeEndAsync(cancellationToken);
            Check(buffer.Span[..n], () => extra);
        }
        else
        {
            Check(buffer.Span[..n], () => 0);
        }

        return n;
    }

    private void Check(ReadOnlySpan<byte> read, Func<int> bytesAfter)
    {
        if (!_verifying)
        {
            _position += read.Length;
            return;
        }

        _hash.AppendData(read);
        _position += read.Length;
        if (read.Length == 0 && _position < _expectedLength)
        {
            Fail($"the store returned {_position} of {_expectedLength} bytes");
        }

        if (_position < _expectedLength)
        {
            return;
        }

        if (_position > _expectedLength || bytesAfter() > 0)
        {
            Fail($"the store holds more than the recorded {_expectedLength} bytes");
        }

        var actual = Convert.ToHexStringLower(_hash.GetHashAndReset());
        if (actual != _expectedSha256)
        {
            Fail($"the stored bytes hash to {actual}");
        }

        _verifying = false;
        Verified = true;
    }

    private int ProbeEnd()
    {
        Span<byte> one = stackalloc byte[1];
        return _inner.Read(one);
    }

    private async ValueTask<int> ProbeEndAsync(CancellationToken ct)
    {
        var one = new byte[1];
        return await _inner.ReadAsync(one, ct);
    }

    private void Fail(string what)
    {
        _verifying = false;
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
