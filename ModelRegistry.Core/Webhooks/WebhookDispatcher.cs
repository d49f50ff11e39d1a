using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Webhooks;

/// <summary>Wakes the dispatcher when a delivery is queued outside the audit outbox (test events, redeliveries).</summary>
public sealed class WebhookSignal : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Wake()
    {
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already awake.
            }
        }
    }

    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);

    /// <summary>The container disposes the singleton at shutdown, after the dispatcher has stopped waiting on it.</summary>
    public void Dispose() => _signal.Dispose();
}

/// <summary>
/// Sends due webhook deliveries from the database outbox: signed JSON POSTs, redirects not followed, each
/// attempt logged, retried with back-off (<see cref="WebhookOptions.RetryDelaysSeconds"/>), then marked failed.
/// </summary>
public sealed class WebhookDispatcher(
    IDbContextFactory<RegistryDbContext> dbFactory,
    IHttpClientFactory httpClients,
    WebhookService webhooks,
    WebhookSignal signal,
    IOptionsMonitor<WebhookOptions> options,
    TimeProvider clock,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "webhooks";
    private const int MaxResponseErrorChars = 500;

    /// <summary>How much longer than an attempt's timeout a claimed delivery stays reserved for its dispatcher.</summary>
    private static readonly TimeSpan LeaseMargin = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            int sent;
            try
            {
                sent = await SendDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.DispatchFailed(e);
                sent = 0;
            }

            if (sent == 0)
            {
                try
                {
                    await signal.WaitAsync(TimeSpan.FromSeconds(Math.Max(1, options.CurrentValue.PollSeconds)), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Sends every delivery that is due now and that this dispatcher wins (see <see cref="ClaimAsync"/>); returns how
    /// many it attempted. Several dispatchers — app instances — may run over one database: each attempt is made once.
    /// </summary>
    public async Task<int> SendDueAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var due = await db.WebhookDeliveries.Include(d => d.Subscription)
            .Where(d => d.Status == DeliveryStatus.Pending && d.NextAttemptAt <= now && d.Subscription!.DeletedAt == null)
            .OrderBy(d => d.NextAttemptAt).Take(20).ToListAsync(ct);
        var attempted = 0;
        foreach (var delivery in due)
        {
            if (!await ClaimAsync(db, delivery, ct))
            {
                continue;
            }

            await AttemptAsync(delivery, ct);
            await db.SaveChangesAsync(ct);
            attempted++;
        }

        return attempted;
    }

    /// <summary>
    /// Takes a lease on a due delivery with one conditional UPDATE: its next attempt moves past the time an attempt can
    /// take, but only if it is still pending at the time this dispatcher read. Of several dispatchers that read the
    /// same row, exactly one changes it; the others see no row changed and leave it. Should the winner die mid-attempt,
    /// the delivery falls due again when the lease runs out (at least once, never twice at the same time).
    /// </summary>
    private async Task<bool> ClaimAsync(RegistryDbContext db, WebhookDelivery delivery, CancellationToken ct)
    {
        var seen = delivery.NextAttemptAt;
        var leaseUntil = clock.GetUtcNow() + TimeSpan.FromSeconds(options.CurrentValue.TimeoutSeconds) + LeaseMargin;
        var claimed = await db.WebhookDeliveries
            .Where(d => d.Id == delivery.Id && d.Status == DeliveryStatus.Pending && d.NextAttemptAt == seen)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.NextAttemptAt, leaseUntil), ct);
        return claimed == 1;
    }

    private async Task AttemptAsync(WebhookDelivery delivery, CancellationToken ct)
    {
        var subscription = delivery.Subscription!;
        var body = Encoding.UTF8.GetBytes(delivery.Payload);
        var secret = webhooks.Protector.Unprotect(subscription.ProtectedSecret);
        using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Url)
        {
            Content = new ByteArrayContent(body) { Headers = { { "Content-Type", "application/json; charset=utf-8" } } },
        };
        request.Headers.Add("X-Registry-Event", delivery.EventType);
        request.Headers.Add("X-Registry-Delivery", delivery.Id);
        request.Headers.Add("X-Registry-Signature", Sign(secret, body));
        request.Headers.UserAgent.ParseAdd("ModelRegistry-Webhooks/1");

        var started = Stopwatch.StartNew();
        int? status = null;
        string? error = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(options.CurrentValue.TimeoutSeconds));
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            status = (int)response.StatusCode;
            if (status is >= 300 and < 400)
            {
                error = "Redirects are not followed.";
            }
            else if (status is < 200 or >= 300)
            {
                error = Truncate(await response.Content.ReadAsStringAsync(timeout.Token));
            }
        }
        catch (HttpRequestException e) when (e.InnerException is WebhookTargetException blocked)
        {
            // The name resolves somewhere internal now (DNS rebinding, or a changed record): nothing was sent.
            error = "Not sent: " + blocked.Message;
            logger.DeliveryNotSent(delivery.Id, subscription.Url, blocked.Message);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or SocketException && !ct.IsCancellationRequested)
        {
            error = e is TaskCanceledException ? "Timed out." : e.Message;
        }

        var delays = options.CurrentValue.EffectiveRetryDelays;
        TimeSpan? retry = delivery.Attempts < delays.Count ? TimeSpan.FromSeconds(delays[delivery.Attempts]) : null;
        delivery.RecordAttempt(clock.GetUtcNow(), status, error, started.Elapsed, retry);
        if (delivery.Status == DeliveryStatus.Failed)
        {
            logger.DeliveryFailedForGood(delivery.Id, subscription.Url, delivery.Attempts, error);
        }
    }

    /// <summary><c>sha256=</c> + lowercase hex HMAC-SHA256 of the raw body with the subscription's secret.</summary>
    public static string Sign(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    private static string? Truncate(string s) =>
        string.IsNullOrEmpty(s) ? null : s.Length <= MaxResponseErrorChars ? s : s[..MaxResponseErrorChars] + "…";

    /// <summary>
    /// The handler for webhook calls: no proxy (it would hide the real target), no redirects, and every
    /// connection checked against <see cref="NetworkGuard"/> on the address actually dialled.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(IOptionsMonitor<WebhookOptions> options, IWebhookHostResolver resolver) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        ConnectCallback = async (context, ct) =>
        {
            var addresses = await NetworkGuard.ResolveAllowedAsync(context.DnsEndPoint.Host, options.CurrentValue.AllowPrivateNetworks,
                resolver, ct);
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
