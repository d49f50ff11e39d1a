using Microsoft.Extensions.Logging;

namespace ModelRegistry.Core.Persistence;

/// <summary>What database start-up logs. Event ids 1000–1099.</summary>
internal static partial class PersistenceLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Computed the digest of {Count} versions written before digests existed.")]
    public static partial void DigestsBackfilled(this ILogger logger, int count);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Created the first Admin {Email} from configuration (Registry:Admin).")]
    public static partial void FirstAdminCreated(this ILogger logger, string email);
}
