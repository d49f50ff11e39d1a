namespace ModelRegistry.Core.Artifacts.Storage.S3;

/// <summary>
/// An S3 object as a seekable, read-only stream of known length. Reading streams a ranged GET from the current
/// position (to the end, or over a window of <c>window</c> bytes for readers that jump about, such as the header
/// readers); seeking elsewhere closes it and the next read opens a new range. So a download's <c>Range</c> becomes
/// a GET with the same byte range, and nothing is buffered beyond what the HTTP client reads.
/// </summary>
internal sealed class S3ObjectStream(S3ArtifactStore store, string key, long length, long? window) : Stream
{
    private Stream? _body;
    private long _bodyEnd;
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => length + offset,
        };
        ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(offset));
        if (target != _position)
        {
            CloseBody();
            _position = target;
        }

        return target;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0 || _position >= length)
        {
            return 0;
        }

        if (_body is null || _position > _bodyEnd)
        {
            CloseBody();
            _bodyEnd = window is { } w ? Math.Min(length - 1, _position + w - 1) : length - 1;
            _body = await store.GetRangeAsync(key, _position, _bodyEnd, cancellationToken);
        }

        var wanted = (int)Math.Min(buffer.Length, _bodyEnd - _position + 1);
        var n = await _body.ReadAsync(buffer[..wanted], cancellationToken);
        if (n == 0)
        {
            // The object ended before its length: a reader sees the end, and a verifying reader reports it.
            CloseBody();
            return 0;
        }

        _position += n;
        if (_position > _bodyEnd)
        {
            CloseBody();
        }

        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // The header readers are synchronous; they read a few windows of a staged upload.
    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            CloseBody();
        }

        base.Dispose(disposing);
    }

    private void CloseBody()
    {
        _body?.Dispose();
        _body = null;
    }
}
