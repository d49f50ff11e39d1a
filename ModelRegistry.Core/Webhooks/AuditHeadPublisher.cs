using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Webhooks;

/// <summary>
/// Sends the audit chain's head to the webhooks subscribed to <c>audit.head</c>, at start and then every
/// <see cref="AuditOptions.HeadPublishMinutes"/>, to each subscriber whose last <c>audit.head</c> delivery named another
/// head. A log whose newest events were cut off still links up; a head held outside the registry shows the cut
/// (<c>GET /api/v1/audit/verify?head=SEQ:HASH</c>). Deliveries go through the outbox: signed, retried, logged.
/// Publishing is not audited: an event would move the head it reports.
/// </summary>
public sealed class AuditHeadPublisher(
    IDbContextFactory<RegistryDbContext> dbFactory,
    WebhookSignal signal,
    IOptions<AuditOptions> options,
    TimeProvider clock,
    ILogger<AuditHeadPublisher> logger) : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMinutes(options.Value.HeadPublishMinutes);
        using var timer = new PeriodicTimer(interval, clock);
        try
        {
            do
            {
                try
                {
                    await PublishAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    logger.AuditHeadPublishFailed(e, interval);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>Queues the current head for every <c>audit.head</c> subscriber that has not had it yet; returns how many.</summary>
    public async Task<int> PublishAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if ((await SubscribersAsync(db, ct)).Count == 0)
        {
            return 0; // Without a subscriber no write lock is taken.
        }

        // The write transaction: several instances publishing at once queue the head once, and the head read is the
        // newest committed one.
        var queued = await db.InTransactionAsync(async () =>
        {
            var subscribers = await SubscribersAsync(db, ct);
            var head = await db.AuditEvents.AsNoTracking().OrderByDescending(e => e.Sequence)
                .Select(e => new AuditHead(e.Sequence, e.Hash)).FirstOrDefaultAsync(ct) ?? AuditHead.Empty;
            var now = clock.GetUtcNow();
            var count = 0;
            foreach (var subscriber in subscribers)
            {
                var last = await db.WebhookDeliveries.AsNoTracking()
                    .Where(d => d.SubscriptionId == subscriber.Id && d.EventType == WebhookEvents.AuditHead)
                    .OrderByDescending(d => d.CreatedAt).Select(d => d.Payload).FirstOrDefaultAsync(ct);
                if (last is not null && HeadOf(last) == head)
                {
                    continue;
                }

                db.WebhookDeliveries.Add(new WebhookDelivery(subscriber.Id, WebhookEvents.AuditHead, Payload(head, now), now));
                count++;
            }

            return count;
        }, ct);

        if (queued > 0)
        {
            signal.Wake();
        }

        return queued;
    }

    private static async Task<List<WebhookSubscription>> SubscribersAsync(RegistryDbContext db, CancellationToken ct) =>
        (await db.WebhookSubscriptions.AsNoTracking().Where(s => s.DeletedAt == null).ToListAsync(ct))
            .Where(s => s.Events.Contains(WebhookEvents.AuditHead)).ToList();

    /// <summary>The delivered body: <c>{"event":"audit.head","occurredAt":…,"head":{"sequence":N,"hash":"…"}}</c>.</summary>
    public static string Payload(AuditHead head, DateTimeOffset at) => JsonSerializer.Serialize(new
    {
        @event = WebhookEvents.AuditHead,
        occurredAt = at,
        head = new { sequence = head.Sequence, hash = head.Hash },
    }, Json);

    private static AuditHead HeadOf(string payload)
    {
        var head = JsonDocument.Parse(payload).RootElement.GetProperty("head");
        return new AuditHead(head.GetProperty("sequence").GetInt64(), head.GetProperty("hash").GetString()!);
    }
}
