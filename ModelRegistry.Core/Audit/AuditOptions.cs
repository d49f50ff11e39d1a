using System.ComponentModel.DataAnnotations;

namespace ModelRegistry.Core.Audit;

/// <summary><c>Registry:Audit</c>.</summary>
public sealed class AuditOptions
{
    public const string Section = "Registry:Audit";

    /// <summary>
    /// How often the chain head is sent to webhooks subscribed to <c>audit.head</c> (only when it moved since a
    /// subscriber last received it), so a copy of it lives outside the registry.
    /// </summary>
    [Range(0.01, 7 * 24 * 60)]
    public double HeadPublishMinutes { get; set; } = 60;
}
