using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;

namespace ModelRegistry.Web.Hosting;

/// <summary>
/// Kestrel's buffers in 64 KiB blocks instead of its own 4 KiB ones. The socket transport receives into one block per
/// system call, so with 4 KiB blocks a 1 GiB upload is 262 144 <c>recv</c> calls, each followed by a hop through the
/// thread pool; with 64 KiB blocks it is 16 384, and the server spends about half the CPU per uploaded byte
/// (docs/decisions/0032). Registered as the <see cref="IMemoryPoolFactory{T}"/> Kestrel takes its pools from.
/// </summary>
internal sealed class LargeBlockMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool();
}

/// <summary>
/// Fixed-size blocks on the pinned object heap (sockets pin what they read into, so these cost nothing to pin), reused
/// through a lock-free queue that keeps at most <see cref="MaxPooledBlocks"/> returned blocks (16 MiB); the rest are
/// left to the garbage collector, so a burst of uploads does not hold its memory for ever.
/// </summary>
internal sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 64 * 1024;
    public const int MaxPooledBlocks = 256;

    private readonly ConcurrentQueue<Block> _pooled = new();
    private int _pooledCount;
    private volatile bool _disposed;

    public override int MaxBufferSize => BlockSize;

    /// <summary>Blocks waiting in the pool for reuse.</summary>
    public int PooledCount => Volatile.Read(ref _pooledCount);

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_pooled.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _pooledCount);
            return block;
        }

        return new Block(this);
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _pooled.Clear();
    }

    private void Return(Block block)
    {
        if (_disposed)
        {
            return;
        }

        if (Interlocked.Increment(ref _pooledCount) > MaxPooledBlocks)
        {
            Interlocked.Decrement(ref _pooledCount);
            return;
        }

        _pooled.Enqueue(block);
    }

    private sealed class Block(LargeBlockMemoryPool pool) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory { get; } = MemoryMarshal.CreateFromPinnedArray(GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true), 0, BlockSize);

        public void Dispose() => pool.Return(this);
    }
}
