using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Audit;

/// <summary>The outcome of re-computing the audit chain.</summary>
/// <param name="Valid">
/// Every event's hash matches its content and its predecessor, and — when a kept head was given — the log still holds
/// that head (<see cref="Expected"/>).
/// </param>
/// <param name="Events">How many events were checked.</param>
/// <param name="FirstBrokenSequence">The first sequence number where the chain breaks, or null.</param>
/// <param name="HeadSequence">The newest event's sequence (the chain head).</param>
/// <param name="HeadHash">The newest event's hash; kept outside the registry, it later proves the log was not truncated.</param>
public sealed record AuditVerification(bool Valid, long Events, long? FirstBrokenSequence, long HeadSequence, string HeadHash)
{
    /// <summary>The chain head as one value.</summary>
    public AuditHead Head => new(HeadSequence, HeadHash);

    /// <summary>The head kept from an earlier verification and what became of it; null when none was given.</summary>
    public ExpectedHeadCheck? Expected { get; init; }

    /// <summary>The log ends before the kept head: its newest events were removed.</summary>
    public bool Truncated => Expected?.Status == ExpectedHeadStatus.Missing;
}

/// <summary>Re-computes the whole chain, streaming the events in sequence order (memory stays flat).</summary>
public static class AuditVerifier
{
    private const int BatchSize = 4096;

    public static Task<AuditVerification> VerifyAsync(RegistryDbContext db, CancellationToken ct) => VerifyAsync(db, null, ct);

    /// <summary>
    /// Re-computes the chain and, given a head kept from an earlier verification, checks that the log still holds that
    /// event with that hash: a log whose newest events were cut off links up as well as a whole one, so only a copy of an
    /// earlier head, held outside the registry, shows the cut.
    /// </summary>
    public static async Task<AuditVerification> VerifyAsync(RegistryDbContext db, AuditHead? expected, CancellationToken ct)
    {
        var columns = Columns.For(db);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // Reading is sequential; hashing is not (each row carries the previous hash it claims), so one task reads batches
        // while another hashes each batch on every core and then checks the links in order. A few batches in flight at most:
        // memory stays flat however long the log.
        var batches = Channel.CreateBounded<ChainRow[]>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        var checking = Task.Run(() => CheckAsync(batches.Reader, expected, stop), CancellationToken.None);
        try
        {
            await ReadAsync(db, columns, batches.Writer, stop.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The checker failed and stopped the reader; its exception is the one to report.
        }
        finally
        {
            batches.Writer.TryComplete();
        }

        return await checking;
    }

    private static async Task ReadAsync(RegistryDbContext db, Columns columns, ChannelWriter<ChainRow[]> writer, CancellationToken ct)
    {
        // A plain data reader over the mapped table, not EF materialization: verifying is mostly reading. Column names and
        // the time conversion come from the EF model.
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = columns.Select;
            await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
            var batch = new List<ChainRow>(BatchSize);
            while (await reader.ReadAsync(ct))
            {
                batch.Add(new ChainRow(reader.GetInt64(0), columns.Time(reader), reader.GetString(2), reader.GetString(3),
                    reader.GetString(4), reader.GetString(5), reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7),
                    reader.GetString(8), reader.GetString(9), reader.GetString(10)));
                if (batch.Count == BatchSize)
                {
                    await writer.WriteAsync([.. batch], ct);
                    batch.Clear();
                }
            }

            if (batch.Count > 0)
            {
                await writer.WriteAsync([.. batch], ct);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task<AuditVerification> CheckAsync(ChannelReader<ChainRow[]> batches, AuditHead? expected,
        CancellationTokenSource stop)
    {
        try
        {
            var expectedPrevious = AuditChain.GenesisHash;
            var expectedSequence = 1L;
            long count = 0;
            long? broken = null;
            var head = (Sequence: 0L, Hash: AuditChain.GenesisHash);
            var hashAtExpected = expected?.Sequence == 0 ? AuditChain.GenesisHash : null;
            var hashOk = new bool[BatchSize];
            await foreach (var batch in batches.ReadAllAsync(stop.Token))
            {
                if (broken is null)
                {
                    Parallel.For(0, batch.Length, new ParallelOptions { CancellationToken = stop.Token }, i =>
                    {
                        var e = batch[i];
                        Span<byte> hash = stackalloc byte[32];
                        AuditChain.ComputeHash(e.Sequence, e.Time, e.ActorId, e.ActorName, e.Action, e.EntityType, e.EntityId,
                            e.ModelName, e.Data, e.PreviousHash, hash, validateData: false);
                        hashOk[i] = AuditChain.Matches(e.Hash, hash);
                    });
                }

                for (var i = 0; i < batch.Length; i++)
                {
                    var e = batch[i];
                    count++;
                    if (broken is null && (e.Sequence != expectedSequence || e.PreviousHash != expectedPrevious || !hashOk[i]))
                    {
                        broken = expectedSequence;
                    }

                    if (hashAtExpected is null && e.Sequence == expected?.Sequence)
                    {
                        hashAtExpected = e.Hash;
                    }

                    expectedPrevious = e.Hash;
                    expectedSequence = e.Sequence + 1;
                    head = (e.Sequence, e.Hash);
                }
            }

            ExpectedHeadCheck? check = expected is null ? null : new(expected, hashAtExpected switch
            {
                null => ExpectedHeadStatus.Missing,
                _ when hashAtExpected == expected.Hash => ExpectedHeadStatus.Present,
                _ => ExpectedHeadStatus.Different,
            });
            var valid = broken is null && check is null or { Status: ExpectedHeadStatus.Present };
            return new AuditVerification(valid, count, broken, head.Sequence, head.Hash) { Expected = check };
        }
        catch
        {
            await stop.CancelAsync();
            throw;
        }
    }

    private sealed record ChainRow(long Sequence, DateTimeOffset Time, string ActorId, string ActorName, string Action, string EntityType,
        string EntityId, string? ModelName, string Data, string PreviousHash, string Hash);

    /// <summary>The audit table's SELECT in canonical-form order, and how its time column reads back, from the EF model.</summary>
    private sealed record Columns(string Select, Func<System.Data.Common.DbDataReader, DateTimeOffset> Time)
    {
        public static Columns For(RegistryDbContext db)
        {
            var entity = db.Model.FindEntityType(typeof(AuditEvent))!;
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            string Name(string property) => "\"" + entity.FindProperty(property)!.GetColumnName(table) + "\"";
            string[] properties =
            [
                nameof(AuditEvent.Sequence), nameof(AuditEvent.Time), nameof(AuditEvent.ActorId), nameof(AuditEvent.ActorName),
                nameof(AuditEvent.Action), nameof(AuditEvent.EntityType), nameof(AuditEvent.EntityId), nameof(AuditEvent.ModelName),
                nameof(AuditEvent.Data), nameof(AuditEvent.PreviousHash), nameof(AuditEvent.Hash),
            ];
            var select = $"SELECT {string.Join(", ", properties.Select(Name))} FROM \"{table.Name}\" ORDER BY {Name(nameof(AuditEvent.Sequence))}";
            var converter = entity.FindProperty(nameof(AuditEvent.Time))!.GetTypeMapping().Converter;
            Func<System.Data.Common.DbDataReader, DateTimeOffset> time = converter switch
            {
                null => r => r.GetFieldValue<DateTimeOffset>(1),
                ValueConverter<DateTimeOffset, long> binary when binary.ConvertFromProviderExpression.Compile() is var fromLong =>
                    r => fromLong(r.GetInt64(1)),
                // PostgreSQL's timestamptz (UTC converter): Npgsql hands out DateTime unless asked for DateTimeOffset.
                _ when converter.ProviderClrType == typeof(DateTimeOffset) =>
                    r => (DateTimeOffset)converter.ConvertFromProvider(r.GetFieldValue<DateTimeOffset>(1))!,
                _ => r => (DateTimeOffset)converter.ConvertFromProvider(r.GetValue(1))!,
            };
            return new Columns(select, time);
        }
    }
}
