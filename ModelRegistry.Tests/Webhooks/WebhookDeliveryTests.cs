using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Webhooks;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Webhooks;

/// <summary>Webhooks against a real receiver on loopback (allowed here by configuration, as in a private network).</summary>
public sealed class WebhookDeliveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RegistryApp App(string? dataDirectory = null, int pollSeconds = 1, bool keep = false, bool dispatcher = true,
        TestHostResolver? dns = null, bool allowPrivateNetworks = true)
    {
        Action<IServiceCollection> services = s =>
        {
            if (!dispatcher)
            {
                // Without its dispatcher an instance queues deliveries and sends none (the only hosted service added by a factory).
                foreach (var hosted in s.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationFactory is not null).ToList())
                {
                    s.Remove(hosted);
                }
            }

            if (dns is not null)
            {
                s.Replace(ServiceDescriptor.Singleton<IWebhookHostResolver>(dns));
            }
        };
        var app = dataDirectory is null
            ? new RegistryApp { KeepDataDirectory = keep, TestServices = services }
            : new RegistryApp { DataDirectory = dataDirectory, KeepDataDirectory = keep, TestServices = services };
        app.Settings["Registry:Webhooks:AllowPrivateNetworks"] = allowPrivateNetworks ? "true" : "false";
        app.Settings["Registry:Webhooks:PollSeconds"] = pollSeconds.ToString(CultureInfo.InvariantCulture);
        app.Settings["Registry:Webhooks:RetryDelaysSeconds:0"] = "0";
        app.Settings["Registry:Webhooks:RetryDelaysSeconds:1"] = "0";
        app.Settings["Registry:Webhooks:RetryDelaysSeconds:2"] = "0";
        return app;
    }

    [Fact]
    public async Task Receiver_failing_twice_gets_the_same_signed_delivery_three_times_and_it_succeeds()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = n => n <= 2 ? 500 : 200;
        await using var app = App();
        var admin = await app.CreateUserAsync(Roles.Admin);
        var (webhook, secret) = await app.Get<WebhookService>().CreateAsync(admin.Actor,
            new CreateWebhook(receiver.Url, [WebhookEvents.VersionCreated], "a-shared-secret-of-some-length"), Ct);
        Assert.Equal("a-shared-secret-of-some-length", secret);

        await app.RegisterModelAsync(admin, "hooked");
        await app.CreateVersionAsync(admin, "hooked");
        await receiver.WaitForAsync(3);

        var received = receiver.Requests.ToArray();
        Assert.Equal(3, received.Length);
        Assert.All(received, r => Assert.Equal("version.created", r.Event));
        Assert.Single(received.Select(r => r.Delivery).Distinct());
        foreach (var r in received)
        {
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), r.Body));
            Assert.Equal(expected, r.Signature);
        }

        var body = JsonDocument.Parse(received[0].Body).RootElement;
        Assert.Equal("version.created", body.GetProperty("event").GetString());
        Assert.Equal("hooked", body.GetProperty("model").GetString());
        Assert.Equal(1, body.GetProperty("data").GetProperty("number").GetInt32());

        var deliveries = await WaitForStatusAsync(app, admin, webhook.Id, DeliveryStatus.Succeeded);
        var delivery = Assert.Single(deliveries);
        Assert.Equal(3, delivery.Attempts);
        Assert.Equal([500, 500, 200], delivery.AttemptLog.Select(a => a.StatusCode ?? 0));
    }

    [Fact]
    public async Task Only_subscribed_events_are_sent_and_model_created_is_one()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var app = App();
        var admin = await app.CreateUserAsync(Roles.Admin);
        await app.Get<WebhookService>().CreateAsync(admin.Actor, new CreateWebhook(receiver.Url, [WebhookEvents.ModelCreated], null), Ct);

        await app.RegisterModelAsync(admin, "only-models");
        await app.CreateVersionAsync(admin, "only-models");
        await receiver.WaitForAsync(1);
        await Task.Delay(1500, Ct); // Long enough for a version.created delivery to have gone out, were it queued.

        var received = Assert.Single(receiver.Requests);
        Assert.Equal("model.created", received.Event);
    }

    [Fact]
    public async Task Redirects_are_not_followed_and_the_attempt_says_so()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = _ => 302;
        await using var app = App();
        var admin = await app.CreateUserAsync(Roles.Admin);
        var (webhook, _) = await app.Get<WebhookService>().CreateAsync(admin.Actor, new CreateWebhook(receiver.Url, [WebhookEvents.ModelCreated], null), Ct);

        await app.Get<WebhookService>().SendTestAsync(admin.Actor, webhook.Id, Ct);

        var delivery = Assert.Single(await WaitForStatusAsync(app, admin, webhook.Id, DeliveryStatus.Failed));
        Assert.Equal(302, delivery.LastStatusCode);
        Assert.Contains("Redirects are not followed", delivery.LastError);
        Assert.Equal(4, delivery.Attempts); // First try and three retries, then given up.
    }

    [Fact]
    public async Task Send_test_event_and_redeliver_reach_the_receiver_with_the_same_delivery_id()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var app = App();
        var admin = await app.CreateUserAsync(Roles.Admin);
        var service = app.Get<WebhookService>();
        var (webhook, _) = await service.CreateAsync(admin.Actor, new CreateWebhook(receiver.Url, [WebhookEvents.StageChanged], null), Ct);

        var test = await service.SendTestAsync(admin.Actor, webhook.Id, Ct);
        await receiver.WaitForAsync(1);
        await WaitForStatusAsync(app, admin, webhook.Id, DeliveryStatus.Succeeded);
        await service.RedeliverAsync(admin.Actor, test.Id, Ct);
        await receiver.WaitForAsync(2);

        Assert.Equal([test.Id, test.Id], receiver.Requests.Select(r => r.Delivery));
        Assert.All(receiver.Requests, r => Assert.Equal("ping", r.Event));
    }

    [Fact]
    public async Task Deliveries_queued_before_a_restart_are_sent_after_it()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var directory = Path.Combine(Path.GetTempPath(), "mr-tests", Guid.NewGuid().ToString("N"));
        // The first instance stops before it sends anything: no dispatcher runs in it (a dispatcher polling hourly could
        // still make its first pass after the model was registered on a slow machine).
        await using (var first = App(directory, keep: true, dispatcher: false))
        {
            var admin = await first.CreateUserAsync(Roles.Admin);
            await first.Get<WebhookService>().CreateAsync(admin.Actor, new CreateWebhook(receiver.Url, [WebhookEvents.ModelCreated], null), Ct);
            await first.RegisterModelAsync(admin, "survives-restart");
        }

        Assert.Empty(receiver.Requests);
        await using var second = App(directory);
        await second.InitializeAsync();
        await receiver.WaitForAsync(1);

        Assert.Equal("model.created", Assert.Single(receiver.Requests).Event);
    }

    [Fact]
    public async Task Audit_head_subscribers_receive_the_signed_chain_head_and_again_only_once_it_moved()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var app = App();
        app.Settings["Registry:Audit:HeadPublishMinutes"] = "0.01"; // Every 0.6 s here; hourly by default.
        var admin = await app.CreateUserAsync(Roles.Admin);
        var (_, secret) = await app.Get<WebhookService>().CreateAsync(admin.Actor,
            new CreateWebhook(receiver.Url, [WebhookEvents.AuditHead], null), Ct);

        await receiver.WaitForAsync(1);
        var head = (await app.Get<AuditLogService>().VerifyAsync(admin.Actor, Ct)).Head;
        var first = Assert.Single(receiver.Requests);
        Assert.Equal("audit.head", first.Event);
        Assert.Equal(WebhookDispatcher.Sign(secret, first.Body), first.Signature);
        Assert.Equal(head, HeadIn(first.Body));

        await Task.Delay(3000, Ct); // Five publication periods with the head where it was: nothing more is sent.
        Assert.Single(receiver.Requests);

        await app.RegisterModelAsync(admin, "moves-the-head");
        await receiver.WaitForAsync(2);
        var moved = (await app.Get<AuditLogService>().VerifyAsync(admin.Actor, Ct)).Head;
        Assert.Equal(head.Sequence + 1, moved.Sequence);
        Assert.Equal([head, moved], receiver.Requests.Select(r => HeadIn(r.Body)));
        Assert.All(receiver.Requests, r => Assert.Equal("audit.head", r.Event));
    }

    private static AuditHead HeadIn(byte[] body)
    {
        var head = JsonDocument.Parse(body).RootElement.GetProperty("head");
        return new AuditHead(head.GetProperty("sequence").GetInt64(), head.GetProperty("hash").GetString()!);
    }

    [Fact]
    public async Task A_webhook_whose_name_later_resolves_to_loopback_is_not_delivered_and_each_attempt_says_why()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var dns = new TestHostResolver { ["hooks.example.test"] = ["93.184.216.34"] };
        await using var app = App(dns: dns, allowPrivateNetworks: false);
        var admin = await app.CreateUserAsync(Roles.Admin);
        var (webhook, _) = await app.Get<WebhookService>().CreateAsync(admin.Actor,
            new CreateWebhook($"http://hooks.example.test:{new Uri(receiver.Url).Port}/hook", [WebhookEvents.ModelCreated], null), Ct);

        // Rebinding: the name that was public when the webhook was saved now points at the registry's own host.
        dns["hooks.example.test"] = ["127.0.0.1"];
        await app.RegisterModelAsync(admin, "rebound");

        var delivery = Assert.Single(await WaitForStatusAsync(app, admin, webhook.Id, DeliveryStatus.Failed));
        Assert.Equal(4, delivery.Attempts);
        Assert.All(delivery.AttemptLog, a =>
        {
            Assert.Null(a.StatusCode);
            Assert.Contains("Not sent: 'hooks.example.test' resolves to 127.0.0.1, an internal address", a.Error);
        });
        Assert.Empty(receiver.Requests);
    }

    [Fact]
    public async Task A_name_is_refused_at_delivery_when_any_of_its_addresses_is_internal()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var dns = new TestHostResolver { ["hooks.example.test"] = ["93.184.216.34"] };
        await using var app = App(dns: dns, allowPrivateNetworks: false);
        var admin = await app.CreateUserAsync(Roles.Admin);
        var (webhook, _) = await app.Get<WebhookService>().CreateAsync(admin.Actor,
            new CreateWebhook($"http://hooks.example.test:{new Uri(receiver.Url).Port}/hook", [WebhookEvents.ModelCreated], null), Ct);

        dns["hooks.example.test"] = ["93.184.216.34", "::ffff:0:127.0.0.1", "127.0.0.1"];
        await app.Get<WebhookService>().SendTestAsync(admin.Actor, webhook.Id, Ct);

        var delivery = Assert.Single(await WaitForStatusAsync(app, admin, webhook.Id, DeliveryStatus.Failed));
        Assert.Contains("::ffff:0:127.0.0.1", delivery.LastError);
        Assert.Empty(receiver.Requests);
    }

    [Fact]
    public async Task With_private_networks_allowed_a_delivery_goes_to_the_address_the_name_resolves_to_at_delivery()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var dns = new TestHostResolver { ["hooks.example.test"] = ["192.0.2.1"] };
        await using var app = App(dns: dns);
        var admin = await app.CreateUserAsync(Roles.Admin);
        var (webhook, _) = await app.Get<WebhookService>().CreateAsync(admin.Actor,
            new CreateWebhook($"http://hooks.example.test:{new Uri(receiver.Url).Port}/hook", [WebhookEvents.ModelCreated], null), Ct);

        dns["hooks.example.test"] = ["127.0.0.1"];
        await app.Get<WebhookService>().SendTestAsync(admin.Actor, webhook.Id, Ct);
        await receiver.WaitForAsync(1);

        Assert.Equal("ping", Assert.Single(receiver.Requests).Event);
        Assert.Equal(DeliveryStatus.Succeeded, Assert.Single(await WaitForStatusAsync(app, admin, webhook.Id, DeliveryStatus.Succeeded)).Status);
    }

    [Fact]
    public async Task Connection_to_an_internal_address_is_refused_at_send_time_when_not_allowed()
    {
        // Stands for DNS rebinding: a name that was public when the webhook was saved resolves inside later.
        await using var receiver = await WebhookReceiver.StartAsync();
        var options = new StaticOptions(new WebhookOptions { AllowPrivateNetworks = false });
        using var client = new HttpClient(WebhookDispatcher.CreateHandler(options, new DnsHostResolver()));

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync(receiver.Url, new StringContent("{}"), Ct));

        Assert.IsType<WebhookTargetException>(error.InnerException);
        Assert.Empty(receiver.Requests);
    }

    private static async Task<IReadOnlyList<DeliveryInfo>> WaitForStatusAsync(RegistryApp app, TestUser admin, long webhookId, DeliveryStatus status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        IReadOnlyList<DeliveryInfo> deliveries;
        do
        {
            deliveries = await app.Get<WebhookService>().DeliveriesAsync(admin.Actor, webhookId, ct: Ct);
            if (deliveries.Count > 0 && deliveries.All(d => d.Status == status))
            {
                return deliveries;
            }

            await Task.Delay(100, Ct);
        }
        while (DateTime.UtcNow < deadline);

        return deliveries;
    }

    private sealed class StaticOptions(WebhookOptions value) : IOptionsMonitor<WebhookOptions>
    {
        public WebhookOptions CurrentValue => value;
        public WebhookOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<WebhookOptions, string?> listener) => null;
    }
}
