using System.Security.Cryptography;
using ModelRegistry.Core.Common;

namespace ModelRegistry.Core.Artifacts.Storage;

/// <summary>
/// A blob opened for download that hashes what is read from the start and holds back the final chunk until the
/// hash matches the blob's name. On a mismatch the last read throws <see cref="StoredContentDamagedException"/>
/// instead of returning the final bytes, so the response never reaches its announced length: the client sees a
/// failed transfer, never a complete one with wrong bytes. Hashing a chunk overlaps with sending it (the caller
/// writes the buffer while a worker hashes it; the next read waits for that hash before reusing the buffer).
/// A seek anywhere but the current position (a range) turns verification off for this stream.
/// </summary>
internal sealed class VerifyingBlobStream : Stream
{
    private readonly FileStream _inner;
    private readonly string _sha256;
    private readonly Action<bool> _onVerified;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly long _length;
    private Task _hashing = Task.CompletedTask;
    private long _position;
    private bool _verifying = true;
    private bool _finished;

    /// <param name="onVerified">Called once with true when the whole blob matched, false when it did not.</param>
    public VerifyingBlobStream(FileStream inner, string sha256, Action<bool> onVerified)
    {
        _inner = inner;
        _sha256 = sha256;
        _onVerified = onVerified;
        _length = inner.Length;
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = _inner.Seek(offset, origin);
        if (target != _position)
        {
            _verifying = false;
        }

        _position = target;
        return target;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        _hashing.GetAwaiter().GetResult();
        var n = _inner.Read(buffer);
        if (_verifying)
        {
            _hash.AppendData(buffer[..n]);
            Advance(n);
        }
        else
        {
            _position += n;
        }

        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        await _hashing;
        var n = await _inner.ReadAsync(buffer, ct);
        if (!_verifying)
        {
            _position += n;
            return n;
        }

        if (n > 0 && _position + n < _length)
        {
            // Not the last chunk: hand it out now and hash it while the caller sends it.
            var chunk = buffer[..n];
            _hashing = Task.Run(() => _hash.AppendData(chunk.Span), CancellationToken.None);
            _position += n;
            return n;
        }

        _hash.AppendData(buffer.Span[..n]);
        Advance(n);
        return n;
    }

    private void Advance(int n)
    {
        _position += n;
        if (_finished || (n > 0 && _position < _length))
        {
            return;
        }

        // The end: the bytes read so far must be the whole blob and hash to its name before the last chunk goes out.
        _finished = true;
        var actual = Convert.ToHexStringLower(_hash.GetHashAndReset());
        var intact = actual == _sha256 && _position == _length;
        _onVerified(intact);
        if (!intact)
        {
            throw new StoredContentDamagedException(_sha256,
                $"The stored bytes of blob {_sha256} are damaged (they now hash to {actual}); the download was stopped. An operator should run verify-artifacts.");
        }
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
            try
            {
                _hashing.GetAwaiter().GetResult();
            }
            catch (Exception)
            {
                // A hash left unfinished by an aborted response has nothing left to report.
            }

            _inner.Dispose();
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await _hashing;
        }
        catch (Exception)
        {
            // As above.
        }

        await _inner.DisposeAsync();
        _hash.Dispose();
        GC.SuppressFinalize(this);
    }
}
