namespace ModelRegistry.Web.Api;

/// <summary>What the REST API logs. Event ids 5000–5099.</summary>
internal static partial class ApiLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Error,
        Message = "{Method} {Path} failed and was answered {Status} ({Title}); trace id {TraceId}.")]
    public static partial void RequestFailed(this ILogger logger, Exception exception, string method, string? path, int status, string title,
        string traceId);
}
