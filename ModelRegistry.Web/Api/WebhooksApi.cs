using System.Security.Claims;
using ModelRegistry.Core.Webhooks;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

internal static class WebhooksApi
{
    public static void MapWebhooks(this RouteGroupBuilder api)
    {
        var webhooks = api.MapGroup("/webhooks").WithTags("Webhooks");

        webhooks.MapPost("/", async (CreateWebhook body, WebhookService service, ClaimsPrincipal user, CancellationToken ct) =>
        {
            var (webhook, secret) = await service.CreateAsync(user.ToActor(), body, ct);
            // The secret is echoed once (it may have been generated); it is stored encrypted and never shown again.
            return TypedResults.Created($"/api/v1/webhooks/{webhook.Id}", new { webhook.Id, webhook.Url, webhook.Events, webhook.CreatedAt, secret });
        });

        webhooks.MapGet("/", (WebhookService service, ClaimsPrincipal user, CancellationToken ct) => service.ListAsync(user.ToActor(), ct));

        webhooks.MapDelete("/{id:long}", async (long id, WebhookService service, ClaimsPrincipal user, CancellationToken ct) =>
        {
            await service.DeleteAsync(user.ToActor(), id, ct);
            return TypedResults.NoContent();
        });

        webhooks.MapGet("/{id:long}/deliveries", (long id, WebhookService service, ClaimsPrincipal user, CancellationToken ct) =>
            service.DeliveriesAsync(user.ToActor(), id, 100, ct));

        webhooks.MapPost("/{id:long}/test", async (long id, WebhookService service, ClaimsPrincipal user, CancellationToken ct) =>
            TypedResults.Accepted($"/api/v1/webhooks/{id}/deliveries", await service.SendTestAsync(user.ToActor(), id, ct)));

        webhooks.MapPost("/deliveries/{deliveryId}/redeliver", async (string deliveryId, WebhookService service, ClaimsPrincipal user, CancellationToken ct) =>
        {
            await service.RedeliverAsync(user.ToActor(), deliveryId, ct);
            return TypedResults.Accepted((string?)null);
        });
    }
}
