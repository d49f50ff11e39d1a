using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Webhooks;

/// <summary>
/// Turns audit events into webhook deliveries inside the same transaction (an outbox): a change that
/// commits always has its deliveries queued, and a change that rolls back queues nothing. The dispatcher
/// sends them later, so deliveries survive restarts.
/// </summary>
public sealed class WebhookOutbox(TimeProvider clock) : IAuditObserver
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task OnRecordedAsync(RegistryDbContext db, AuditEvent auditEvent, CancellationToken ct)
    {
        var eventType = WebhookEvents.ForAuditAction(auditEvent.Action);
        if (eventType is null)
        {
            return;
        }

        var subscriptions = await db.WebhookSubscriptions.AsNoTracking().Where(s => s.DeletedAt == null).ToListAsync(ct);
        // A Restricted model's events go only to the webhooks an Admin allowed for it (docs/design.md, "Teams and model access").
        var restricted = auditEvent.ModelName is { } model && await db.Models.IgnoreQueryFilters()
            .AnyAsync(m => m.Name == model && m.Visibility == Teams.ModelVisibility.Restricted, ct);
        foreach (var subscription in subscriptions.Where(s => s.Wants(eventType)
            && (!restricted || s.RestrictedModels.Contains(auditEvent.ModelName!))))
        {
            db.WebhookDeliveries.Add(new WebhookDelivery(subscription.Id, eventType, Payload(eventType, auditEvent), clock.GetUtcNow()));
        }
    }

    /// <summary>The delivered body: the event type and the audit event it came from.</summary>
    public static string Payload(string eventType, AuditEvent e) => JsonSerializer.Serialize(new
    {
        @event = eventType,
        occurredAt = e.Time,
        sequence = e.Sequence,
        actor = new { id = e.ActorId, name = e.ActorName },
        entity = new { type = e.EntityType, id = e.EntityId },
        model = e.ModelName,
        data = JsonSerializer.Deserialize<JsonElement>(e.Data),
    }, Json);
}
