using System.Buffers.Binary;
using System.Text;

namespace ModelRegistry.Core.Artifacts.Headers;

/// <summary>
/// Little-endian reads over a seekable stream of known length through one fixed 64 KiB buffer. Every read
/// and skip is checked against the bytes that are really there, so a length field can make a reader skip
/// (bounded by the file) or fail, never allocate.
/// </summary>
internal sealed class BinaryCursor
{
    public const int BufferSize = 64 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[BufferSize];
    private long _bufferStart;
    private int _position;
    private int _length;

    public BinaryCursor(Stream stream, long length, long start = 0)
    {
        _stream = stream;
        Length = length;
        _bufferStart = start;
        _stream.Seek(start, SeekOrigin.Begin);
    }

    /// <summary>The file's length in bytes.</summary>
    public long Length { get; }

    public long Position => _bufferStart + _position;
    public long Remaining => Length - Position;

    public byte ReadByte() => Take(1)[0];
    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>Reads <paramref name="count"/> bytes (at most the buffer size) as strict UTF-8.</summary>
    public string ReadUtf8(int count, string what)
    {
        if (count > BufferSize)
        {
            throw new HeaderFormatException($"{what} is longer than {BufferSize} bytes.");
        }

        try
        {
            return StrictUtf8.GetString(Take(count, what));
        }
        catch (DecoderFallbackException e)
        {
            throw new HeaderFormatException($"{what} is not valid UTF-8.", e);
        }
    }

    /// <summary>Reads <paramref name="count"/> bytes (at most the buffer size) as UTF-8, invalid sequences shown as U+FFFD.</summary>
    public string ReadText(int count, string what)
    {
        if (count > BufferSize)
        {
            throw new HeaderFormatException($"{what} is longer than {BufferSize} bytes.");
        }

        return Encoding.UTF8.GetString(Take(count, what));
    }

    /// <summary>Moves past <paramref name="count"/> bytes, which must all be in the file.</summary>
    public void Skip(ulong count, string what)
    {
        if (count > (ulong)Remaining)
        {
            throw new HeaderFormatException($"{what} runs past the end of the file ({count} bytes at offset {Position}, file is {Length}).");
        }

        var n = (long)count;
        if (n <= _length - _position)
        {
            _position += (int)n;
            return;
        }

        _bufferStart = Position + n;
        _position = 0;
        _length = 0;
        _stream.Seek(_bufferStart, SeekOrigin.Begin);
    }

    private ReadOnlySpan<byte> Take(int count, string what = "The header")
    {
        if (count > Remaining)
        {
            throw new HeaderFormatException($"{what} is cut off: the file ends at byte {Length}.");
        }

        if (_length - _position < count)
        {
            Refill(count);
        }

        var span = _buffer.AsSpan(_position, count);
        _position += count;
        return span;
    }

    private void Refill(int needed)
    {
        var kept = _length - _position;
        Buffer.BlockCopy(_buffer, _position, _buffer, 0, kept);
        _bufferStart += _position;
        _position = 0;
        _length = kept;
        // Bounded: each pass reads at least one byte, and Take checked that the bytes exist.
        while (_length < needed)
        {
            var read = _stream.Read(_buffer, _length, _buffer.Length - _length);
            if (read == 0)
            {
                throw new HeaderFormatException($"The file ended early at byte {_bufferStart + _length}.");
            }

            _length += read;
        }
    }
}
