using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace ModelRegistry.Core.Artifacts.Headers;

/// <summary>What in a file's bytes makes loading it run code, whatever the file is called.</summary>
public enum UnsafeContentKind
{
    None = 0,

    /// <summary>A pickle stream (protocol 2–5 from its PROTO opcode, or 0–1 recognised opcode by opcode).</summary>
    Pickle,

    /// <summary>A zip archive (PyTorch's <c>torch.save</c>, numpy <c>.npz</c>, TorchServe <c>.mar</c> …), at the start or found from its end.</summary>
    Zip,

    /// <summary>A numpy <c>.npy</c> array of Python objects: its data is a pickle (<c>allow_pickle</c>).</summary>
    NumpyObjects,

    /// <summary>A gzip or zlib stream (joblib's compression) whose first bytes unpack to a pickle.</summary>
    CompressedPickle,
}

/// <summary>
/// Recognises, from a file's bytes alone, the formats whose usual loaders unpickle: a name proves nothing, since
/// <c>torch.load</c>, <c>joblib.load</c> or <c>numpy.load(allow_pickle=True)</c> read whatever they are given. Every
/// check reads a bounded amount (the first <see cref="WindowBytes"/>, the last 64 KiB + 22 for a zip's end record, at
/// most <see cref="MaxCompressedBytes"/> of a compressed stream) and nothing is ever unpickled or unpacked whole.
/// </summary>
public static partial class UnsafeContent
{
    /// <summary>How much of the start of a file is examined.</summary>
    public const int WindowBytes = 64 * 1024;

    /// <summary>How much of a gzip or zlib stream is read to unpack its first <see cref="WindowBytes"/>.</summary>
    public const int MaxCompressedBytes = 1024 * 1024;

    /// <summary>The zip end record (22 bytes) and the longest comment it may carry.</summary>
    private const int ZipTailBytes = 22 + ushort.MaxValue;

    /// <summary>
    /// What makes the file unsafe, or <see cref="UnsafeContentKind.None"/>. <paramref name="head"/> holds the first bytes
    /// of the file (up to <see cref="WindowBytes"/>); <paramref name="content"/> is read again for the zip end record and
    /// compressed streams.
    /// </summary>
    public static UnsafeContentKind Sniff(Stream content, long length, ReadOnlySpan<byte> head)
    {
        var wholeFile = head.Length == length;
        if (IsPickle(head, wholeFile))
        {
            return UnsafeContentKind.Pickle;
        }

        if (IsZipStart(head) || IsZipFromEnd(content, length))
        {
            return UnsafeContentKind.Zip;
        }

        if (IsNumpyObjectArray(head))
        {
            return UnsafeContentKind.NumpyObjects;
        }

        return IsCompressedPickle(content, length, head) ? UnsafeContentKind.CompressedPickle : UnsafeContentKind.None;
    }

    // ---- pickle ----

    private enum Arg : byte
    {
        Invalid = 0,
        None,
        U1,
        U2,
        I4,
        U4,
        U8,
        F8,
        Len1,
        Len4,
        Len8,
        DecimalLine,
        FloatLine,
        QuotedLine,
        TextLine,
        GlobalLines,
    }

    /// <summary>
    /// An opcode's argument and its effect on the unpickler's stack: <see cref="Needs"/> items it requires above the
    /// innermost mark, <see cref="Pops"/> it removes, <see cref="Pushes"/> it adds; <see cref="ToMark"/> ops pop
    /// everything down to the innermost mark (and the mark), <see cref="Mark"/> pushes a mark.
    /// </summary>
    private readonly record struct Opcode(Arg Arg, byte Needs = 0, byte Pops = 0, byte Pushes = 0, bool ToMark = false, bool Mark = false);

    /// <summary>Every pickle opcode (Python's <c>pickletools</c>, protocols 0–5).</summary>
    private static readonly Opcode[] Opcodes = BuildOpcodes();

    /// <summary>Opcodes that import a name or call something: what makes loading a pickle run code.</summary>
    private static ReadOnlySpan<byte> CodeOpcodes => [(byte)'c', (byte)'i', (byte)'R', (byte)'o', (byte)'b', 0x81, 0x82, 0x83, 0x84, 0x92, 0x93];

    private static Opcode[] BuildOpcodes()
    {
        var t = new Opcode[256];
        var push = new Opcode(Arg.None, Pushes: 1);
        // NONE EMPTY_TUPLE EMPTY_LIST EMPTY_DICT NEWTRUE NEWFALSE EMPTY_SET NEXT_BUFFER
        t['N'] = t[')'] = t[']'] = t['}'] = t[0x88] = t[0x89] = t[0x8f] = t[0x97] = push;
        t['('] = new Opcode(Arg.None, Mark: true); // MARK
        t['.'] = new Opcode(Arg.None, Needs: 1, Pops: 1); // STOP
        t['0'] = new Opcode(Arg.None, Needs: 1, Pops: 1); // POP
        t['1'] = new Opcode(Arg.None, ToMark: true); // POP_MARK
        t['2'] = new Opcode(Arg.None, Needs: 1, Pushes: 1); // DUP
        t['Q'] = new Opcode(Arg.None, Needs: 1, Pops: 1, Pushes: 1); // BINPERSID
        t['R'] = new Opcode(Arg.None, Needs: 2, Pops: 2, Pushes: 1); // REDUCE
        t['a'] = new Opcode(Arg.None, Needs: 2, Pops: 1); // APPEND
        t['b'] = new Opcode(Arg.None, Needs: 2, Pops: 1); // BUILD
        t['d'] = new Opcode(Arg.None, Pushes: 1, ToMark: true); // DICT
        t['e'] = new Opcode(Arg.None, ToMark: true, Needs: 1); // APPENDS (the list sits below the mark)
        t['l'] = new Opcode(Arg.None, Pushes: 1, ToMark: true); // LIST
        t['o'] = new Opcode(Arg.None, Pushes: 1, ToMark: true); // OBJ
        t['s'] = new Opcode(Arg.None, Needs: 3, Pops: 2); // SETITEM
        t['t'] = new Opcode(Arg.None, Pushes: 1, ToMark: true); // TUPLE
        t['u'] = new Opcode(Arg.None, ToMark: true, Needs: 1); // SETITEMS
        t[0x81] = new Opcode(Arg.None, Needs: 2, Pops: 2, Pushes: 1); // NEWOBJ
        t[0x85] = new Opcode(Arg.None, Needs: 1, Pops: 1, Pushes: 1); // TUPLE1
        t[0x86] = new Opcode(Arg.None, Needs: 2, Pops: 2, Pushes: 1); // TUPLE2
        t[0x87] = new Opcode(Arg.None, Needs: 3, Pops: 3, Pushes: 1); // TUPLE3
        t[0x90] = new Opcode(Arg.None, ToMark: true, Needs: 1); // ADDITEMS
        t[0x91] = new Opcode(Arg.None, Pushes: 1, ToMark: true); // FROZENSET
        t[0x92] = new Opcode(Arg.None, Needs: 3, Pops: 3, Pushes: 1); // NEWOBJ_EX
        t[0x93] = new Opcode(Arg.None, Needs: 2, Pops: 2, Pushes: 1); // STACK_GLOBAL
        t[0x94] = new Opcode(Arg.None, Needs: 1); // MEMOIZE
        t[0x98] = new Opcode(Arg.None, Needs: 1, Pops: 1, Pushes: 1); // READONLY_BUFFER
        t['p'] = new Opcode(Arg.DecimalLine, Needs: 1); // PUT
        t['q'] = new Opcode(Arg.U1, Needs: 1); // BINPUT
        t['r'] = new Opcode(Arg.U4, Needs: 1); // LONG_BINPUT
        t[0x80] = new Opcode(Arg.U1); // PROTO
        t[0x95] = new Opcode(Arg.U8); // FRAME
        foreach (var (c, arg) in new (byte, Arg)[]
                 {
                     ((byte)'K', Arg.U1), ((byte)'h', Arg.U1), (0x82, Arg.U1), // BININT1 BINGET EXT1
                     ((byte)'M', Arg.U2), (0x83, Arg.U2), // BININT2 EXT2
                     ((byte)'J', Arg.I4), (0x84, Arg.I4), ((byte)'j', Arg.U4), // BININT EXT4 LONG_BINGET
                     ((byte)'G', Arg.F8), // BINFLOAT
                     ((byte)'U', Arg.Len1), ((byte)'C', Arg.Len1), (0x8a, Arg.Len1), (0x8c, Arg.Len1), // SHORT_BIN* LONG1
                     ((byte)'T', Arg.Len4), ((byte)'X', Arg.Len4), ((byte)'B', Arg.Len4), (0x8b, Arg.Len4), // BIN* LONG4
                     (0x8d, Arg.Len8), (0x8e, Arg.Len8), (0x96, Arg.Len8), // BINUNICODE8 BINBYTES8 BYTEARRAY8
                     ((byte)'I', Arg.DecimalLine), ((byte)'L', Arg.DecimalLine), ((byte)'g', Arg.DecimalLine), // INT LONG GET
                     ((byte)'F', Arg.FloatLine), ((byte)'S', Arg.QuotedLine), // FLOAT STRING
                     ((byte)'V', Arg.TextLine), ((byte)'P', Arg.TextLine), // UNICODE PERSID
                     ((byte)'c', Arg.GlobalLines), // GLOBAL
                 })
        {
            t[c] = new Opcode(arg, Pushes: 1);
        }

        t['i'] = new Opcode(Arg.GlobalLines, Pushes: 1, ToMark: true); // INST
        return t;
    }

    /// <summary>
    /// Whether <paramref name="head"/> starts a pickle. Its opcodes are walked as an unpickler would, checking each
    /// argument's shape and each opcode's effect on the stack (an APPEND needs a list and an item, a STOP one value …),
    /// so ordinary text, which is largely made of opcode letters, fails within a few bytes. The walk goes on after a STOP
    /// (loaders such as PyTorch's old format read several pickles in a row). It is a pickle when it starts with PROTO
    /// for protocol 2–5 and a valid opcode; or when, before anything invalid, at least three opcodes import or call
    /// something (the unpickler runs each opcode as it reads it, so junk after the call saves nothing); or when a
    /// window of a larger file reads as valid opcodes throughout. Arguments are skipped, never interpreted.
    /// </summary>
    public static bool IsPickle(ReadOnlySpan<byte> head, bool wholeFile)
    {
        if (head.IsEmpty)
        {
            return false;
        }

        var walk = Walk(head);
        if (head[0] == 0x80 && head.Length >= 2 && head[1] is >= 2 and <= 5)
        {
            return walk.Ops >= 2 || (walk.Ops == 1 && !walk.Invalid);
        }

        return (walk.RunsCode && walk.Ops >= 3) || (!walk.Invalid && !wholeFile && walk.Ops >= 64);
    }

    /// <param name="Invalid">The walk met an unknown opcode, a malformed argument or a stack underflow (and stopped there).</param>
    /// <param name="Ops">Valid opcodes read before that, or before the window ended.</param>
    /// <param name="RunsCode">One of those imports or calls something.</param>
    private readonly record struct WalkResult(bool Invalid, int Ops, bool RunsCode);

    /// <summary>Reads opcodes to the end of the window or the first invalid one.</summary>
    private static WalkResult Walk(ReadOnlySpan<byte> data)
    {
        var pos = 0;
        var ops = 0;
        var runsCode = false;
        var depth = 0;
        Span<int> marks = stackalloc int[64];
        var markCount = 0;
        while (pos < data.Length)
        {
            var op = data[pos++];
            var code = Opcodes[op];
            if (code.Arg == Arg.Invalid)
            {
                return new WalkResult(true, ops, runsCode);
            }

            var floor = markCount > 0 ? marks[markCount - 1] : 0;
            if (code.Mark)
            {
                if (markCount == marks.Length)
                {
                    return new WalkResult(false, ops, runsCode); // deeper than we follow: valid so far
                }

                marks[markCount++] = depth;
            }
            else if (code.ToMark)
            {
                if (markCount == 0 || (op is (byte)'o' && depth - floor < 1))
                {
                    return new WalkResult(true, ops, runsCode);
                }

                depth = marks[--markCount];
                if (depth - (markCount > 0 ? marks[markCount - 1] : 0) < code.Needs)
                {
                    return new WalkResult(true, ops, runsCode);
                }

                depth += code.Pushes;
            }
            else if (op == (byte)'0' && depth == floor && markCount > 0)
            {
                markCount--; // POP with nothing above the mark pops the mark (protocol 0 writes that for recursive tuples)
            }
            else
            {
                if (depth - floor < code.Needs)
                {
                    return new WalkResult(true, ops, runsCode);
                }

                depth += code.Pushes - code.Pops;
            }

            var rest = data[pos..];
            var skip = code.Arg switch
            {
                Arg.None => 0,
                Arg.U1 => 1,
                Arg.U2 => 2,
                Arg.I4 or Arg.U4 => 4,
                Arg.U8 or Arg.F8 => 8,
                Arg.Len1 => rest.Length >= 1 ? 1L + rest[0] : long.MaxValue,
                Arg.Len4 => rest.Length >= 4 ? 4L + BinaryPrimitives.ReadUInt32LittleEndian(rest) : long.MaxValue,
                Arg.Len8 => rest.Length >= 8 ? 8L + (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(rest), long.MaxValue / 2) : long.MaxValue,
                _ => -1,
            };
            if (op == 0x80 && !rest.IsEmpty && rest[0] > 5)
            {
                return new WalkResult(true, ops, runsCode); // PROTO names protocols 0 to 5 only
            }

            if (skip < 0)
            {
                skip = LinesLength(code.Arg, rest);
                if (skip < 0)
                {
                    return new WalkResult(true, ops, runsCode);
                }
            }

            // Counted only once its argument is known good (or runs past the window, which ends the walk here).
            ops++;
            runsCode |= CodeOpcodes.Contains(op);
            if (skip > rest.Length)
            {
                return new WalkResult(false, ops, runsCode);
            }

            pos += (int)skip;
            if (op == (byte)'.')
            {
                depth = 0; // the next pickle of a sequence starts afresh
                markCount = 0;
            }
        }

        return new WalkResult(false, ops, runsCode);
    }

    /// <summary>The length of a newline-terminated argument (two lines for GLOBAL and INST); -1 when malformed; past the end when cut off.</summary>
    private static long LinesLength(Arg arg, ReadOnlySpan<byte> rest)
    {
        var lines = arg == Arg.GlobalLines ? 2 : 1;
        var end = 0;
        for (var i = 0; i < lines; i++)
        {
            var newline = rest[end..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                return long.MaxValue;
            }

            if (!LineFits(arg, rest.Slice(end, newline)))
            {
                return -1;
            }

            end += newline + 1;
        }

        return end;
    }

    private static readonly SearchValues<byte> DecimalLineBytes = SearchValues.Create("0123456789+-L"u8);
    private static readonly SearchValues<byte> FloatLineBytes = SearchValues.Create("0123456789+-.eEinfaINFA"u8);
    private static readonly SearchValues<byte> DottedNameBytes =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_."u8);

    private static bool LineFits(Arg arg, ReadOnlySpan<byte> line) => arg switch
    {
        Arg.DecimalLine => !line.IsEmpty && line.IndexOfAnyExcept(DecimalLineBytes) < 0,
        Arg.FloatLine => !line.IsEmpty && line.IndexOfAnyExcept(FloatLineBytes) < 0,
        Arg.QuotedLine => !line.IsEmpty && line[0] is (byte)'\'' or (byte)'"',
        Arg.GlobalLines => IsDottedName(line),
        _ => true,
    };

    private static bool IsDottedName(ReadOnlySpan<byte> line) =>
        !line.IsEmpty && line.Length <= 256 && (char.IsAsciiLetter((char)line[0]) || line[0] == '_')
        && line.IndexOfAnyExcept(DottedNameBytes) < 0;

    // ---- zip ----

    private static bool IsZipStart(ReadOnlySpan<byte> head) =>
        head.Length >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] is 3 or 5 or 7 && head[3] is 4 or 6 or 8;

    /// <summary>
    /// A zip archive whose first bytes are something else: zip readers (Python's <c>zipfile</c>, so TorchServe and
    /// <c>torch.load</c> of a renamed file) find an archive from the end record, and tolerate anything before it.
    /// The end record must point back at a central directory entry, so a stray "PK\u0005\u0006" is not enough.
    /// </summary>
    private static bool IsZipFromEnd(Stream content, long length)
    {
        if (length < 22)
        {
            return false;
        }

        var tailLength = (int)Math.Min(length, ZipTailBytes);
        var tail = ReadAt(content, length - tailLength, tailLength);
        for (var p = tail.Length - 22; p >= 0; p--)
        {
            if (!tail.AsSpan(p).StartsWith("PK\u0005\u0006"u8))
            {
                continue;
            }

            var record = tail.AsSpan(p, 22);
            var entries = BinaryPrimitives.ReadUInt16LittleEndian(record[10..]);
            var directorySize = BinaryPrimitives.ReadUInt32LittleEndian(record[12..]);
            var recordAt = length - tailLength + p;
            if (entries == ushort.MaxValue || directorySize == uint.MaxValue)
            {
                // Zip64: the locator sits just before the end record.
                return recordAt >= 20 && ReadAt(content, recordAt - 20, 4).AsSpan().SequenceEqual("PK\u0006\u0007"u8);
            }

            if (entries == 0 || directorySize < 46 || directorySize > recordAt)
            {
                continue;
            }

            if (ReadAt(content, recordAt - directorySize, 4).AsSpan().SequenceEqual("PK\u0001\u0002"u8))
            {
                return true;
            }
        }

        return false;
    }

    // ---- numpy ----

    private static ReadOnlySpan<byte> NumpyMagic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    [GeneratedRegex(@"['""]descr['""]\s*:\s*(?<descr>'[^']*'|""[^""]*""|\[.*\])\s*,", RegexOptions.CultureInvariant | RegexOptions.Singleline, matchTimeoutMilliseconds: 200)]
    private static partial Regex Descr();

    [GeneratedRegex(@"['""](?<literal>[^'""]*)['""]", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 200)]
    private static partial Regex Literal();

    /// <summary>Numeric, boolean, text, bytes, date and raw types: what <c>numpy.load</c> reads without unpickling.</summary>
    [GeneratedRegex(@"\A[|<>=]?[?bBhHiIlLqQpPefdgFDGSUVamMuc][0-9]*(\[[a-zA-Z0-9]+\])?\z", RegexOptions.CultureInvariant)]
    private static partial Regex PlainType();

    /// <summary>
    /// A numpy <c>.npy</c> file (magic <c>\x93NUMPY</c>) whose dtype holds Python objects. Its header is a Python dict
    /// literal; a plain <c>descr</c> must name a plain type, and in a structured one no field may be an object. A header
    /// longer than the window, or without a readable descr, counts as unsafe: numpy's own reader refuses such files
    /// unless pickles are allowed.
    /// </summary>
    public static bool IsNumpyObjectArray(ReadOnlySpan<byte> head)
    {
        if (head.Length < 10 || !head.StartsWith(NumpyMagic))
        {
            return false;
        }

        // Format 1.0 has a 16-bit header length, 2.0 and later a 32-bit one.
        var start = head[6] == 1 ? 10 : 12;
        if (head.Length < start)
        {
            return true;
        }

        long headerLength = start == 10 ? BinaryPrimitives.ReadUInt16LittleEndian(head[8..]) : BinaryPrimitives.ReadUInt32LittleEndian(head[8..]);
        if (headerLength > head.Length - start)
        {
            return true;
        }

        var header = Encoding.Latin1.GetString(head.Slice(start, (int)headerLength));
        try
        {
            var descr = Descr().Match(header);
            if (!descr.Success)
            {
                return true;
            }

            var value = descr.Groups["descr"].Value;
            if (value[0] != '[')
            {
                return !PlainType().IsMatch(value[1..^1]);
            }

            // Structured: field names and types are all literals; an object type among them means pickled data.
            return Literal().Matches(value).Any(m => IsObjectType(m.Groups["literal"].Value));
        }
        catch (RegexMatchTimeoutException)
        {
            return true;
        }
    }

    private static bool IsObjectType(string literal)
    {
        var type = literal.TrimStart('|', '<', '>', '=');
        return type.StartsWith('O') || type.StartsWith("object", StringComparison.Ordinal);
    }

    // ---- compressed ----

    /// <summary>
    /// A gzip or zlib stream (joblib's default compressors) whose first unpacked bytes are a pickle or an object array.
    /// At most <see cref="MaxCompressedBytes"/> are read and <see cref="WindowBytes"/> unpacked.
    /// </summary>
    private static bool IsCompressedPickle(Stream content, long length, ReadOnlySpan<byte> head)
    {
        var gzip = head.Length >= 3 && head[0] == 0x1f && head[1] == 0x8b && head[2] == 8;
        var zlib = head.Length >= 2 && (head[0] & 0x0f) == 8 && (head[0] >> 4) <= 7 && ((head[0] << 8) | head[1]) % 31 == 0;
        if (!gzip && !zlib)
        {
            return false;
        }

        var packed = ReadAt(content, 0, (int)Math.Min(length, MaxCompressedBytes));
        var unpacked = new byte[WindowBytes];
        var total = 0;
        try
        {
            using var source = new MemoryStream(packed, writable: false);
            using Stream inflater = gzip ? new GZipStream(source, CompressionMode.Decompress) : new ZLibStream(source, CompressionMode.Decompress);
            while (total < unpacked.Length)
            {
                var n = inflater.Read(unpacked, total, unpacked.Length - total);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            // Not a stream after all (zlib reports that as a ZLibException, an IOException), or cut off where our read
            // stopped: judge what came out.
        }

        var inner = unpacked.AsSpan(0, total);
        return IsPickle(inner, wholeFile: false) || IsNumpyObjectArray(inner);
    }

    private static byte[] ReadAt(Stream content, long offset, int count)
    {
        var buffer = new byte[count];
        content.Seek(offset, SeekOrigin.Begin);
        var read = content.ReadAtLeast(buffer, count, throwOnEndOfStream: false);
        return read == count ? buffer : buffer[..read];
    }
}
