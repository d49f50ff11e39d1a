using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Deployments;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Lineage;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Signing;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Compliance;

/// <summary>The formats an evidence pack is rendered in.</summary>
public enum EvidenceFormat
{
    Html,
    Markdown,
}

/// <summary>
/// Everything a compliance reviewer needs about one version, as the registry held it at <see cref="EvidenceExport.ExportedAt"/>:
/// what it is, where it came from, what it contains, how it was evaluated, who asked for and approved each stage, where it
/// runs, its slice of the audit trail, and the chain head with a verification result.
/// </summary>
/// <param name="Card">The newest model-card revision, or null when the version has none.</param>
/// <param name="CardHtml">The card rendered and sanitised exactly as the dashboard shows it (no script, no raw HTML).</param>
/// <param name="Requests">Every transition request, oldest first, with approvals and discussion.</param>
/// <param name="StageHistory">The version's stage changes, oldest first.</param>
/// <param name="Deployments">Every deployment record, oldest first.</param>
/// <param name="AuditSlice">The version's events (its own, its files', its requests' and deployments'), in sequence order.</param>
/// <param name="Attestations">The version's signed approval attestations, oldest first, envelopes included.</param>
/// <param name="SigningKeys">The public keys the attestations verify with (the current one first), to check them offline.</param>
/// <param name="Aliases">The model's aliases that name this version when the pack was made, by name.</param>
/// <param name="Lineage">The version's lineage graph as the exporter may see it; drawn into the pack as an SVG image (<see cref="LineageSvg"/>).</param>
public sealed record EvidencePack(
    ModelInfo Model,
    VersionInfo Version,
    ModelCard? Card,
    string? CardHtml,
    IReadOnlyList<ArtifactInfo> Files,
    IReadOnlyList<EvaluationResultInfo> Evaluations,
    IReadOnlyList<StageChangeInfo> StageHistory,
    IReadOnlyList<TransitionRequestInfo> Requests,
    IReadOnlyList<DeploymentInfo> Deployments,
    IReadOnlyList<AuditEntry> AuditSlice,
    EvidenceExport Export,
    IReadOnlyList<AttestationInfo> Attestations,
    IReadOnlyList<SigningPublicKey> SigningKeys,
    IReadOnlyList<string>? Aliases = null,
    LineageGraph? Lineage = null)
{
    /// <summary>A file name for the pack: <c>evidence-{model}-v{number}-{yyyyMMdd-HHmmss}.{html|md}</c>.</summary>
    public string FileName(EvidenceFormat format) =>
        $"evidence-{Model.Name}-v{Version.Number}-{Export.ExportedAt.UtcDateTime:yyyyMMdd-HHmmss}.{(format == EvidenceFormat.Html ? "html" : "md")}";
}

/// <summary>When and by whom a pack was made, the audit event that records it, and the state of the chain then.</summary>
/// <param name="ExportSequence">The sequence of the <c>evidence.exported</c> event recording this export.</param>
/// <param name="Verification">The whole chain, recomputed right after the export was recorded; its head is the chain head of the pack.</param>
public sealed record EvidenceExport(
    DateTimeOffset ExportedAt,
    string ExportedBy,
    EvidenceFormat Format,
    long ExportSequence,
    AuditVerification Verification);
