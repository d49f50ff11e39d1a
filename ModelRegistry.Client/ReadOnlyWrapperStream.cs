namespace ModelRegistry.Client;

/// <summary>
/// A forward-only, read-only view of at most <paramref name="length"/> bytes of another stream: the common part of
/// mreg's request-body streams (progress counting, hashing while sending). A subclass reads through
/// <see cref="ReadAsync(Memory{byte}, CancellationToken)"/> and <see cref="Read(Span{byte})"/>, never past
/// <see cref="Limit"/>, and moves <see cref="Consumed"/>. Disposing it disposes the inner stream.
/// </summary>
internal abstract class ReadOnlyWrapperStream(Stream inner, long length) : Stream
{
    protected Stream Inner => inner;

    /// <summary>Bytes handed out so far.</summary>
    protected long Consumed { get; set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => Consumed;
        set => throw new NotSupportedException();
    }

    /// <summary>How much of a buffer of <paramref name="size"/> bytes the next read may fill.</summary>
    protected int Limit(int size) => (int)Math.Min(size, length - Consumed);

    public abstract override int Read(Span<byte> buffer);

    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }
}
