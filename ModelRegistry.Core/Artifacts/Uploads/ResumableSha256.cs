using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelRegistry.Core.Artifacts.Uploads;

/// <summary>
/// SHA-256 (FIPS 180-4) whose intermediate state can be saved and restored: the eight chaining words, the length so
/// far and the bytes of a block not yet full. A resumable upload saves it with its offset, so the hash of a 60 GB file
/// continues after a restart, on any instance, without reading a byte twice (docs/decisions/0019). The framework's
/// <see cref="System.Security.Cryptography.IncrementalHash"/> cannot be saved.
/// <para>
/// The state lives in a struct laid out as OpenSSL's <c>SHA256_CTX</c>. Where libcrypto is at hand (Linux, where .NET
/// uses it anyway) its <c>SHA256_Update</c> runs on that struct, at the speed of the framework's own hash (SHA-NI);
/// elsewhere, or if the library fails a known-answer check at first use, a managed compression function does the same
/// work several times slower. Both read and write the same state, so either can continue what the other began.
/// </para>
/// </summary>
public sealed class ResumableSha256
{
    /// <summary>Length of <see cref="Export"/>: a version byte, 8 words, the length in bytes, 64 bytes of a partial block.</summary>
    public const int StateLength = 1 + 32 + 8 + 64;

    private const byte StateVersion = 1;

    private static readonly uint[] K =
    [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];

    private static readonly Lazy<NativeUpdate?> Native = new(NativeEngine.Load);

    private Sha256Context _context;
    private readonly uint[] _schedule = new uint[64];

    public ResumableSha256()
    {
        ReadOnlySpan<uint> initial = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
        initial.CopyTo(_context.H);
        _context.MdLength = 32;
    }

    /// <summary>
    /// Whether this instance's appends run on libcrypto when it is there. Tests turn it off to exercise the managed
    /// implementation (which is also what runs wherever libcrypto is missing).
    /// </summary>
    internal bool PreferNative { get; set; } = true;

    /// <summary>Whether libcrypto's SHA-256 was found and passed its known-answer check.</summary>
    public static bool NativeAvailable => Native.Value is not null;

    /// <summary>How many bytes have been hashed.</summary>
    public long Length => (long)(((ulong)_context.Nh << 32 | _context.Nl) >> 3);

    /// <summary>Restores a state saved by <see cref="Export"/>.</summary>
    /// <exception cref="ArgumentException">The bytes are not a saved state.</exception>
    public static ResumableSha256 Import(ReadOnlySpan<byte> state)
    {
        if (state.Length != StateLength || state[0] != StateVersion)
        {
            throw new ArgumentException("Not a saved SHA-256 state.", nameof(state));
        }

        var length = BinaryPrimitives.ReadInt64BigEndian(state[33..]);
        if (length < 0 || length > long.MaxValue / 8)
        {
            throw new ArgumentException("Not a saved SHA-256 state.", nameof(state));
        }

        var sha = new ResumableSha256();
        for (var i = 0; i < 8; i++)
        {
            sha._context.H[i] = BinaryPrimitives.ReadUInt32BigEndian(state[(1 + 4 * i)..]);
        }

        var bits = (ulong)length * 8;
        sha._context.Nl = (uint)bits;
        sha._context.Nh = (uint)(bits >> 32);
        sha._context.Num = (uint)(length % 64);
        state.Slice(41, (int)sha._context.Num).CopyTo(sha._context.Data);
        return sha;
    }

    /// <summary>The state after the bytes hashed so far, for <see cref="Import"/>.</summary>
    public byte[] Export()
    {
        var state = new byte[StateLength];
        state[0] = StateVersion;
        for (var i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(state.AsSpan(1 + 4 * i), _context.H[i]);
        }

        BinaryPrimitives.WriteInt64BigEndian(state.AsSpan(33), Length);
        // Only the bytes of the partial block; the rest stays zero, so equal states export equal bytes.
        ((ReadOnlySpan<byte>)_context.Data)[..(int)_context.Num].CopyTo(state.AsSpan(41));
        return state;
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        if (PreferNative && Native.Value is { } update)
        {
            if (update(ref _context, ref MemoryMarshal.GetReference(data), (nuint)data.Length) != 1)
            {
                throw new InvalidOperationException("libcrypto's SHA256_Update failed.");
            }

            return;
        }

        AppendManaged(data);
    }

    /// <summary>The digest of everything appended, as lowercase hex. The state is left as it was.</summary>
    public string HashHex()
    {
        Span<uint> h = stackalloc uint[8];
        ((ReadOnlySpan<uint>)_context.H).CopyTo(h);
        var used = (int)_context.Num;
        Span<byte> last = stackalloc byte[128];
        last.Clear();
        ((ReadOnlySpan<byte>)_context.Data)[..used].CopyTo(last);
        last[used] = 0x80;
        var blocks = used < 56 ? 1 : 2;
        BinaryPrimitives.WriteUInt32BigEndian(last[(64 * blocks - 8)..], _context.Nh);
        BinaryPrimitives.WriteUInt32BigEndian(last[(64 * blocks - 4)..], _context.Nl);
        for (var i = 0; i < blocks; i++)
        {
            Compress(h, last.Slice(64 * i, 64), _schedule);
        }

        Span<byte> digest = stackalloc byte[32];
        for (var i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(digest[(4 * i)..], h[i]);
        }

        return Convert.ToHexStringLower(digest);
    }

    private void AppendManaged(ReadOnlySpan<byte> data)
    {
        var bits = ((ulong)_context.Nh << 32 | _context.Nl) + (ulong)data.Length * 8;
        _context.Nl = (uint)bits;
        _context.Nh = (uint)(bits >> 32);
        Span<byte> partial = _context.Data;
        var used = (int)_context.Num;
        if (used > 0)
        {
            var take = Math.Min(64 - used, data.Length);
            data[..take].CopyTo(partial[used..]);
            data = data[take..];
            if (used + take < 64)
            {
                _context.Num = (uint)(used + take);
                return;
            }

            Compress(_context.H, partial, _schedule);
        }

        while (data.Length >= 64)
        {
            Compress(_context.H, data[..64], _schedule);
            data = data[64..];
        }

        data.CopyTo(partial);
        _context.Num = (uint)data.Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Compress(Span<uint> state, ReadOnlySpan<byte> block, Span<uint> schedule)
    {
        // Bounds are checked once here; the loops below index through references.
        if (state.Length < 8 || block.Length < 64 || schedule.Length < 64)
        {
            throw new ArgumentException("A block is 64 bytes, the state 8 words and the schedule 64 words.");
        }

        ref var w = ref MemoryMarshal.GetReference(schedule);
        ref var k = ref MemoryMarshal.GetArrayDataReference(K);
        ref var input = ref MemoryMarshal.GetReference(block);
        for (var i = 0; i < 16; i++)
        {
            Unsafe.Add(ref w, i) = BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref input, 4 * i)));
        }

        for (var i = 16; i < 64; i++)
        {
            var x = Unsafe.Add(ref w, i - 15);
            var y = Unsafe.Add(ref w, i - 2);
            var s0 = BitOperations.RotateRight(x, 7) ^ BitOperations.RotateRight(x, 18) ^ (x >> 3);
            var s1 = BitOperations.RotateRight(y, 17) ^ BitOperations.RotateRight(y, 19) ^ (y >> 10);
            Unsafe.Add(ref w, i) = Unsafe.Add(ref w, i - 16) + s0 + Unsafe.Add(ref w, i - 7) + s1;
        }

        uint a = state[0], b = state[1], c = state[2], d = state[3], e = state[4], f = state[5], g = state[6], h = state[7];
        for (var i = 0; i < 64; i += 8)
        {
            Round(a, b, c, ref d, e, f, g, ref h, Unsafe.Add(ref k, i) + Unsafe.Add(ref w, i));
            Round(h, a, b, ref c, d, e, f, ref g, Unsafe.Add(ref k, i + 1) + Unsafe.Add(ref w, i + 1));
            Round(g, h, a, ref b, c, d, e, ref f, Unsafe.Add(ref k, i + 2) + Unsafe.Add(ref w, i + 2));
            Round(f, g, h, ref a, b, c, d, ref e, Unsafe.Add(ref k, i + 3) + Unsafe.Add(ref w, i + 3));
            Round(e, f, g, ref h, a, b, c, ref d, Unsafe.Add(ref k, i + 4) + Unsafe.Add(ref w, i + 4));
            Round(d, e, f, ref g, h, a, b, ref c, Unsafe.Add(ref k, i + 5) + Unsafe.Add(ref w, i + 5));
            Round(c, d, e, ref f, g, h, a, ref b, Unsafe.Add(ref k, i + 6) + Unsafe.Add(ref w, i + 6));
            Round(b, c, d, ref e, f, g, h, ref a, Unsafe.Add(ref k, i + 7) + Unsafe.Add(ref w, i + 7));
        }

        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
        state[5] += f;
        state[6] += g;
        state[7] += h;
    }

    /// <summary>One round, with the eight working variables rotated by the caller instead of moved.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(uint a, uint b, uint c, ref uint d, uint e, uint f, uint g, ref uint h, uint kw)
    {
        var t1 = h + (BitOperations.RotateRight(e, 6) ^ BitOperations.RotateRight(e, 11) ^ BitOperations.RotateRight(e, 25))
                 + ((e & f) ^ (~e & g)) + kw;
        var t2 = (BitOperations.RotateRight(a, 2) ^ BitOperations.RotateRight(a, 13) ^ BitOperations.RotateRight(a, 22))
                 + ((a & b) ^ (a & c) ^ (b & c));
        d += t1;
        h = t1 + t2;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int NativeUpdate(ref Sha256Context context, ref byte data, nuint length);

    /// <summary>libcrypto's SHA-256, when the platform has it and it agrees with the managed implementation.</summary>
    private static class NativeEngine
    {
        private static readonly string[] Names = ["libcrypto.so.3", "libcrypto.so", "libcrypto.3.dylib", "libcrypto-3-x64.dll"];

        public static NativeUpdate? Load()
        {
            foreach (var name in Names)
            {
                if (!NativeLibrary.TryLoad(name, out var library))
                {
                    continue;
                }

                if (NativeLibrary.TryGetExport(library, "SHA256_Update", out var export)
                    && Marshal.GetDelegateForFunctionPointer<NativeUpdate>(export) is { } update && Agrees(update))
                {
                    return update;
                }
            }

            return null;
        }

        /// <summary>Known-answer check: both engines, taking turns on one state, give the framework's digest.</summary>
        private static bool Agrees(NativeUpdate update)
        {
            try
            {
                var data = new byte[1000];
                new Random(20261205).NextBytes(data);
                var sha = new ResumableSha256();
                sha.AppendManaged(data.AsSpan(0, 100));
                if (update(ref sha._context, ref data[100], 537) != 1)
                {
                    return false;
                }

                var resumed = Import(sha.Export());
                resumed.AppendManaged(data.AsSpan(637));
                return resumed.HashHex() == Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data));
            }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException or BadImageFormatException
                                          or MarshalDirectiveException)
            {
                return false;
            }
        }
    }
}

/// <summary>OpenSSL's <c>SHA256_CTX</c>: the chaining words, the length in bits (low, high), the partial block, its length.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Sha256Context
{
    public Words8 H;
    public uint Nl;
    public uint Nh;
    public Bytes64 Data;
    public uint Num;
    public uint MdLength;
}

[InlineArray(8)]
internal struct Words8
{
    private uint _element;
}

[InlineArray(64)]
internal struct Bytes64
{
    private byte _element;
}
