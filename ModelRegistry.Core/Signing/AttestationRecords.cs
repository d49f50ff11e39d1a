using System.Text.Json.Serialization;
using ModelRegistry.Core.Lifecycle;

namespace ModelRegistry.Core.Signing;

/// <summary>An attestation as the dashboard lists it: what was signed (read back from the signed payload) and the envelope.</summary>
/// <param name="FromStage">The stage the version left, as the statement says.</param>
/// <param name="ToStage">The stage the approval moved the version to, as the statement says.</param>
/// <param name="Digest">The version digest the statement names.</param>
/// <param name="Approvers">The approvals the statement lists, in order.</param>
public sealed record AttestationInfo(
    long Id,
    string ModelName,
    int VersionNumber,
    long RequestId,
    string KeyId,
    DateTimeOffset CreatedAt,
    Stage? FromStage,
    Stage? ToStage,
    string? Digest,
    IReadOnlyList<AttestedApproval> Approvers,
    DsseEnvelope Envelope)
{
    /// <summary>The first 12 hex digits of the key id, as the dashboard shows it.</summary>
    public string KeyIdShort => KeyId.Length > 12 ? KeyId[..12] : KeyId;

    /// <summary>A file name for the envelope: <c>attestation-{model}-v{number}-{id}.json</c>.</summary>
    public string FileName => $"attestation-{ModelName}-v{VersionNumber}-{Id}.json";
}

/// <summary>One approval as an attestation records it.</summary>
public sealed record AttestedApproval(string Reviewer, DateTimeOffset? At);

/// <summary>The outcome of checking an envelope's signature against the registry's keys.</summary>
/// <param name="Valid">A signature of a known key (current or previous) matches the payload and its type.</param>
/// <param name="KeyId">The key id of the signature that verified, or of the first signature when none did.</param>
/// <param name="Reason">Why it is not valid; null when valid.</param>
public sealed record AttestationVerification(
    [property: JsonPropertyName("valid")] bool Valid,
    [property: JsonPropertyName("keyid")] string? KeyId,
    [property: JsonPropertyName("reason"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason)
{
    public static AttestationVerification Invalid(string? keyId, string reason) => new(false, keyId, reason);
}
