using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Client;
using ModelRegistry.Tests.Mreg;
using ModelRegistry.Web.Hosting;

namespace ModelRegistry.Tests.Api;

/// <summary>Kestrel's 64 KiB memory pool (docs/decisions/0032): what it hands out, what it keeps, and that the server uses it.</summary>
public sealed class LargeBlockMemoryPoolTests(MregFixture fixture) : IClassFixture<MregFixture>
{
    [Fact]
    public void Blocks_are_64_KiB_reused_after_return_and_at_most_256_are_kept()
    {
        using var pool = new LargeBlockMemoryPool();

        var first = pool.Rent(2048);
        Assert.Equal(64 * 1024, first.Memory.Length);
        Assert.Equal(64 * 1024, pool.MaxBufferSize);
        first.Memory.Span[0] = 42;
        first.Dispose();
        Assert.Equal(1, pool.PooledCount);
        using (var again = pool.Rent())
        {
            Assert.Equal(42, again.Memory.Span[0]);   // the same block, not a new allocation
            Assert.Equal(0, pool.PooledCount);
        }

        var burst = Enumerable.Range(0, 300).Select(_ => pool.Rent()).ToList();
        burst.ForEach(block => block.Dispose());
        Assert.Equal(LargeBlockMemoryPool.MaxPooledBlocks, pool.PooledCount);
    }

    [Fact]
    public void More_than_a_block_is_refused_and_a_disposed_pool_rents_nothing()
    {
        var pool = new LargeBlockMemoryPool();
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(64 * 1024 + 1));
        var rented = pool.Rent();
        pool.Dispose();

        rented.Dispose();   // returning into a disposed pool is harmless
        Assert.Equal(0, pool.PooledCount);
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
    }

    [Fact]
    public async Task A_real_start_registers_it_after_Kestrel_so_Kestrel_uses_it()
    {
        // As Program starts: CreateBuilder registers Kestrel first, then the app's services.
        var builder = WebApplication.CreateBuilder();
        builder.AddRegistryRequestLimits();
        await using var app = builder.Build();

        Assert.IsType<LargeBlockMemoryPoolFactory>(app.Services.GetRequiredService<IMemoryPoolFactory<byte>>());
    }

    [Fact]
    public async Task Kestrel_takes_its_pools_from_it_and_a_streamed_upload_arrives_intact()
    {
        Assert.IsType<LargeBlockMemoryPoolFactory>(fixture.App.Get<IMemoryPoolFactory<byte>>());

        var ct = TestContext.Current.CancellationToken;
        var bytes = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 17);   // many blocks, the last one partly filled
        var dir = ModelDirectory.Create(("weights.bin", bytes));
        using var mreg = fixture.Runner();
        var pushed = await mreg.RunAsync(ct, "push", dir.FullName, "--model", "pool-check", "--json");
        var target = Directory.CreateTempSubdirectory("pool-pull-");
        var pulled = await mreg.RunAsync(ct, "pull", "pool-check@1", target.FullName);

        Assert.True(pushed.ExitCode == ExitCodes.Ok, pushed.ToString());
        Assert.Equal(ModelDirectory.Sha(bytes), pushed.Json.GetProperty("files")[0].GetProperty("sha256").GetString());
        Assert.True(pulled.ExitCode == ExitCodes.Ok, pulled.ToString());
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(target.FullName, "weights.bin"), ct));
        dir.Delete(recursive: true);
        target.Delete(recursive: true);
    }
}
