using Microsoft.Extensions.Logging;

namespace ModelRegistry.Core.Webhooks;

/// <summary>What webhook delivery and the audit-head publisher log. Event ids 4000–4099.</summary>
internal static partial class WebhookLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Error, Message = "Webhook dispatch failed; retrying shortly.")]
    public static partial void DispatchFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Webhook delivery {Delivery} to {Url} was not sent: {Reason}")]
    public static partial void DeliveryNotSent(this ILogger logger, string delivery, string url, string reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning,
        Message = "Webhook delivery {Delivery} to {Url} failed for good after {Attempts} attempts: {Error}")]
    public static partial void DeliveryFailedForGood(this ILogger logger, string delivery, string url, int attempts, string? error);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Publishing the audit chain head failed; trying again in {Interval}.")]
    public static partial void AuditHeadPublishFailed(this ILogger logger, Exception exception, TimeSpan interval);
}
