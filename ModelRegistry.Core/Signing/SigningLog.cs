using Microsoft.Extensions.Logging;

namespace ModelRegistry.Core.Signing;

/// <summary>What the attestation signing keys log. Event ids 3000–3099.</summary>
internal static partial class SigningLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information,
        Message = "Attestations are signed with key {KeyId}; {Count} previous keys verify older ones.")]
    public static partial void SigningKeysLoaded(this ILogger logger, string keyId, int count);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning,
        Message = "Generated a new attestation signing key in {Path}: back it up (backup copies it).")]
    public static partial void SigningKeyGenerated(this ILogger logger, string path);
}
