namespace ModelRegistry.Core.Artifacts.Storage;

/// <summary>
/// A lock per hash, striped over 64 semaphores: enough to keep uploads of different files apart without a
/// semaphore per blob. Process-wide only.
/// </summary>
internal sealed class StripedLock
{
    private readonly SemaphoreSlim[] _locks = Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    public async Task<IDisposable> LockAsync(string sha256, CancellationToken ct)
    {
        var gate = _locks[Convert.ToInt32(sha256[..2], 16) % _locks.Length];
        await gate.WaitAsync(ct);
        return new Releaser(gate);
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
