using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;

namespace ModelRegistry.Core.Webhooks;

/// <summary>Webhook subscriptions and their delivery log. Admin only.</summary>
public sealed class WebhookService(
    IDbContextFactory<RegistryDbContext> dbFactory,
    AccessGuard guard,
    AuditTrail audit,
    IDataProtectionProvider protection,
    IOptionsMonitor<WebhookOptions> options,
    IWebhookHostResolver resolver,
    WebhookSignal signal,
    TimeProvider clock)
{
    public const int MaxUrlLength = 2000;
    public const int MinSecretLength = 16;
    private const string Purpose = "ModelRegistry.Webhooks.Secret";

    internal IDataProtector Protector => protection.CreateProtector(Purpose);

    /// <summary>Subscribes a URL. The URL must be http(s) and resolve to public addresses (unless allowed); 400 otherwise.</summary>
    /// <returns>The subscription and the secret (generated when none was given; shown once).</returns>
    public async Task<(WebhookInfo Webhook, string Secret)> CreateAsync(Actor actor, CreateWebhook input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.Administer, ct);

        var url = await ValidateUrlAsync(input.Url, ct);
        // Event names exactly as given: "model.created\n" is not an event type.
        var events = (input.Events ?? []).Select(e => e ?? "").Distinct().ToList();
        if (events.Count == 0)
        {
            throw ValidationFailedException.For("events", $"Choose at least one event: {string.Join(", ", WebhookEvents.All)}.");
        }

        if (events.FirstOrDefault(e => !WebhookEvents.All.Contains(e)) is { } unknown)
        {
            throw ValidationFailedException.For("events", $"'{unknown}' is not an event type. Known: {string.Join(", ", WebhookEvents.All)}.");
        }

        var secret = string.IsNullOrEmpty(input.Secret) ? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) : input.Secret;
        if (secret.Length is < MinSecretLength or > 512)
        {
            throw ValidationFailedException.For("secret", $"The secret must be {MinSecretLength}–512 characters (or omitted to generate one).");
        }

        var subscription = await db.InTransactionAsync(async () =>
        {
            var s = new WebhookSubscription(url.AbsoluteUri, events, Protector.Protect(secret), actor.DisplayName, clock.GetUtcNow());
            db.WebhookSubscriptions.Add(s);
            await db.SaveChangesAsync(ct);
            await audit.RecordAsync(db, actor, AuditActions.WebhookCreated, AuditEntities.Webhook,
                s.Id.ToString(CultureInfo.InvariantCulture), null,
                new { url = s.Url, events }, ct);
            return s;
        }, ct);

        return (ToInfo(subscription), secret);
    }

    public async Task<IReadOnlyList<WebhookInfo>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.Administer, ct);
        var all = await db.WebhookSubscriptions.AsNoTracking().Where(s => s.DeletedAt == null).OrderBy(s => s.Id).ToListAsync(ct);
        return all.Select(ToInfo).ToList();
    }

    /// <summary>Stops a subscription; its pending deliveries are dropped, its log kept.</summary>
    public async Task DeleteAsync(Actor actor, long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.Administer, ct);
        await db.InTransactionAsync(async () =>
        {
            var s = await FindAsync(db, id, ct);
            s.Delete(clock.GetUtcNow());
            await audit.RecordAsync(db, actor, AuditActions.WebhookDeleted, AuditEntities.Webhook,
                id.ToString(CultureInfo.InvariantCulture), null, new { url = s.Url }, ct);
            return true;
        }, ct);
    }

    /// <summary>
    /// Sets the Restricted models whose events the subscription may receive (docs/design.md, "Teams and model access"):
    /// a Restricted model's events go only to webhooks listed for it. Admin only; audited as <c>webhook.models_allowed</c>.
    /// Unknown model names are refused (400).
    /// </summary>
    public async Task<WebhookInfo> AllowRestrictedModelsAsync(Actor actor, long id, IReadOnlyList<string>? models, CancellationToken ct = default)
    {
        var names = (models ?? []).Select(m => Models.ModelName.Validate(m)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.Administer, ct);
        var subscription = await db.InTransactionAsync(async () =>
        {
            var s = await FindAsync(db, id, ct);
            var known = await db.Models.IgnoreQueryFilters().Where(m => names.Contains(m.Name)).Select(m => m.Name).ToListAsync(ct);
            if (names.FirstOrDefault(n => !known.Contains(n)) is { } unknown)
            {
                throw ValidationFailedException.For("models", $"There is no model named '{unknown}'.");
            }

            var before = s.RestrictedModels.ToList();
            s.RestrictedModels = names;
            await audit.RecordAsync(db, actor, AuditActions.WebhookModelsAllowed, AuditEntities.Webhook,
                id.ToString(CultureInfo.InvariantCulture), null, new { url = s.Url, before, after = names }, ct);
            return s;
        }, ct);
        return ToInfo(subscription);
    }

    /// <summary>The newest deliveries of a subscription with every attempt.</summary>
    public async Task<IReadOnlyList<DeliveryInfo>> DeliveriesAsync(Actor actor, long id, int take = 50, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.Administer, ct);
        await FindAsync(db, id, ct, includeDeleted: true);
        var deliveries = await db.WebhookDeliveries.AsNoTracking().Include(d => d.AttemptLog)
            .Where(d => d.SubscriptionId == id).OrderByDescending(d => d.CreatedAt).Take(Math.Clamp(take, 1, 200)).ToListAsync(ct);
        return deliveries.Select(ToInfo).ToList();
    }

    /// <summary>Queues a <c>ping</c> event to the subscription ("send test event").</summary>
    public async Task<DeliveryInfo> SendTestAsync(Actor actor, long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.Administer, ct);
        var delivery = await db.InTransactionAsync(async () =>
        {
            var s = await FindAsync(db, id, ct);
            var now = clock.GetUtcNow();
            var payload = System.Text.Json.JsonSerializer.Serialize(new
            {
                @event = WebhookEvents.Ping,
                occurredAt = now,
                actor = new { id = actor.UserId, name = actor.DisplayName },
                webhook = new { id = s.Id, url = s.Url },
            }, System.Text.Json.JsonSerializerOptions.Web);
            var d = new WebhookDelivery(s.Id, WebhookEvents.Ping, payload, now);
            db.WebhookDeliveries.Add(d);
            return d;
        }, ct);
        signal.Wake();
        return ToInfo(delivery);
    }

    /// <summary>Sends a delivery again, with the same id and body.</summary>
    public async Task RedeliverAsync(Actor actor, string deliveryId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.Administer, ct);
        await db.InTransactionAsync(async () =>
        {
            var d = await db.WebhookDeliveries.Include(x => x.Subscription).SingleOrDefaultAsync(x => x.Id == deliveryId, ct)
                ?? throw new NotFoundException("There is no such delivery.");
            if (d.Subscription!.DeletedAt is not null)
            {
                throw new ConflictException("The webhook was deleted.");
            }

            d.Redeliver(clock.GetUtcNow());
            return true;
        }, ct);
        signal.Wake();
    }

    /// <summary>Parses and checks a target URL: absolute http(s), no credentials, resolving only to allowed addresses.</summary>
    public async Task<Uri> ValidateUrlAsync(string? raw, CancellationToken ct)
    {
        var text = Input.Line("url", raw, MaxUrlLength) ?? throw ValidationFailedException.For("url", "A URL is required.");
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw ValidationFailedException.For("url", "The URL must be an absolute http:// or https:// address.");
        }

        if (!string.IsNullOrEmpty(url.UserInfo))
        {
            throw ValidationFailedException.For("url", "Put credentials in the secret, not in the URL.");
        }

        try
        {
            // Uri normalises decimal, octal and hex IPv4 forms (http://2130706433/ is 127.0.0.1) before this check.
            await NetworkGuard.ResolveAllowedAsync(url.IdnHost, options.CurrentValue.AllowPrivateNetworks, resolver, ct);
        }
        catch (WebhookTargetException e)
        {
            throw ValidationFailedException.For("url", e.Message);
        }
        catch (System.Net.Sockets.SocketException)
        {
            throw ValidationFailedException.For("url", $"'{url.Host}' could not be resolved.");
        }

        return url;
    }

    private static async Task<WebhookSubscription> FindAsync(RegistryDbContext db, long id, CancellationToken ct, bool includeDeleted = false) =>
        await db.WebhookSubscriptions.SingleOrDefaultAsync(s => s.Id == id && (includeDeleted || s.DeletedAt == null), ct)
        ?? throw new NotFoundException("There is no such webhook.");

    private static WebhookInfo ToInfo(WebhookSubscription s) => new(s.Id, s.Url, s.Events.ToList(), s.CreatedBy, s.CreatedAt,
        s.RestrictedModels.ToList());

    private static DeliveryInfo ToInfo(WebhookDelivery d) => new(d.Id, d.EventType, d.Status, d.Attempts, d.LastStatusCode,
        d.LastError, d.CreatedAt, d.NextAttemptAt, d.CompletedAt,
        d.AttemptLog.OrderBy(a => a.Number).Select(a => new AttemptInfo(a.Number, a.At, a.StatusCode, a.Error, a.DurationMs)).ToList());
}
