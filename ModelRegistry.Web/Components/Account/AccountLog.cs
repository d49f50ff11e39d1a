namespace ModelRegistry.Web.Components.Account;

/// <summary>What the account endpoints log. Event ids 6000–6099.</summary>
internal static partial class AccountLog
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "User with ID '{UserId}' asked for their personal data.")]
    public static partial void PersonalDataRequested(this ILogger logger, string userId);
}
