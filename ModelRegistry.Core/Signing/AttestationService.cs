using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Signing;

/// <summary>
/// Approval attestations (docs/attestations.md): when a request into Staging or Production gets its final approval,
/// the registry signs an in-toto Statement v1 naming every file of the version and, as its predicate, what was
/// approved, by whom and under which gates — wrapped in a DSSE envelope signed with <see cref="SigningKeys"/>. Anyone
/// with the public key verifies it offline; the registry verifies it for the dashboard.
/// </summary>
public sealed class AttestationService(IDbContextFactory<RegistryDbContext> dbFactory, AuditTrail audit, SigningKeys keys)
{
    public const string StatementType = "https://in-toto.io/Statement/v1";

    /// <summary>The predicate type of an approval: what the predicate's fields mean is documented in docs/attestations.md.</summary>
    public const string ApprovalPredicateType = "https://model-registry.dev/approval/v1";

    /// <summary>Whether the final approval of a request into <paramref name="stage"/> is attested.</summary>
    public static bool IsAttested(Stage stage) => stage is Stage.Staging or Stage.Production;

    /// <summary>
    /// Builds, signs and stores the attestation of <paramref name="request"/>'s final approval and audits it
    /// (<c>attestation.signed</c>), inside the caller's transaction: the stage change, the attestation and its audit event
    /// are saved together or not at all. <paramref name="gates"/> are the gate verdicts the approval was checked against.
    /// </summary>
    internal async Task<Attestation> SignApprovalAsync(RegistryDbContext db, Actor actor, TransitionRequest request,
        IReadOnlyList<GateResult> gates, DateTimeOffset approvedAt, CancellationToken ct)
    {
        var version = request.Version;
        var modelName = version.Model.Name;
        var files = (await db.Artifacts.AsNoTracking().Where(a => a.VersionId == version.Id)
                .Select(a => new { a.Path, a.Sha256 }).ToListAsync(ct))
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
        var statement = new JsonObject
        {
            ["_type"] = StatementType,
            ["subject"] = new JsonArray(files.Select(f => (JsonNode)new JsonObject
            {
                ["name"] = f.Path,
                ["digest"] = new JsonObject { ["sha256"] = f.Sha256 },
            }).ToArray()),
            ["predicateType"] = ApprovalPredicateType,
            ["predicate"] = new JsonObject
            {
                ["model"] = modelName,
                ["version"] = version.Number,
                ["digest"] = version.Digest,
                ["stage"] = new JsonObject { ["from"] = request.FromStage.ToString(), ["to"] = request.ToStage.ToString() },
                ["requestId"] = request.Id,
                ["requester"] = new JsonObject { ["id"] = request.RequestedByUserId, ["name"] = request.RequestedBy },
                ["requestedAt"] = Time(request.RequestedAt),
                ["justification"] = request.Justification,
                ["approvers"] = new JsonArray(request.ValidApprovals.OrderBy(a => a.At).ThenBy(a => a.Id).Select(a => (JsonNode)new JsonObject
                {
                    ["id"] = a.UserId,
                    ["name"] = a.ReviewerName,
                    ["at"] = Time(a.At),
                    ["comment"] = a.Comment,
                    ["digest"] = a.Digest,
                }).ToArray()),
                ["gates"] = new JsonArray(gates.Where(g => g.Passed).Select(g => (JsonNode)new JsonObject
                {
                    ["gate"] = g.Gate,
                    ["message"] = g.Message,
                }).ToArray()),
                ["approvedAt"] = Time(approvedAt),
            },
        };

        var payload = CanonicalJson.Serialize(statement);
        var envelope = keys.Sign(Dsse.InTotoPayloadType, payload);
        var attestation = new Attestation(version, request, keys.CurrentKeyId, Dsse.Serialize(envelope), approvedAt);
        db.Attestations.Add(attestation);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(db, actor, AuditActions.AttestationSigned, AuditEntities.Version, $"{modelName}/{version.Number}", modelName,
            new
            {
                attestationId = attestation.Id,
                requestId = request.Id,
                from = request.FromStage.ToString(),
                to = request.ToStage.ToString(),
                digest = version.Digest,
                keyid = keys.CurrentKeyId,
                payloadSha256 = Convert.ToHexStringLower(SHA256.HashData(payload)),
            }, ct);
        return attestation;
    }

    /// <summary>A version's attestations, oldest first; 404 when the model or version is unknown.</summary>
    public async Task<IReadOnlyList<AttestationInfo>> ListAsync(string modelName, int number, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var versionId = await db.RequireVersionIdAsync(modelName, number, ct);
        var rows = await db.Attestations.AsNoTracking().Where(a => a.VersionId == versionId).OrderBy(a => a.Id)
            .Select(a => new { a.Id, a.RequestId, a.KeyId, a.CreatedAt, a.Envelope })
            .ToListAsync(ct);
        return rows.Select(r => ToInfo(modelName, number, r.Id, r.RequestId, r.KeyId, r.CreatedAt, r.Envelope)).ToList();
    }

    /// <summary>The DSSE envelopes of a version's attestations, oldest first; 404 when the model or version is unknown.</summary>
    public async Task<IReadOnlyList<DsseEnvelope>> ListEnvelopesAsync(string modelName, int number, CancellationToken ct = default) =>
        (await ListAsync(modelName, number, ct)).Select(a => a.Envelope).ToList();

    /// <summary>The public key new attestations are signed with, PEM (SPKI).</summary>
    public string CurrentPublicKeyPem => keys.CurrentPublicKeyPem;

    /// <summary>Every key attestations verify with: the current one, then those rotated out.</summary>
    public IReadOnlyList<SigningPublicKey> PublicKeys => keys.PublicKeys;

    /// <summary>Checks the envelope of attestation <paramref name="id"/> as the database holds it now; 404 when unknown.</summary>
    public async Task<AttestationVerification> VerifyStoredAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var json = await db.Attestations.AsNoTracking().Where(a => a.Id == id).Select(a => a.Envelope).SingleOrDefaultAsync(ct)
            ?? throw new NotFoundException($"There is no attestation {id}.");
        return Verify(json);
    }

    /// <summary>Checks an envelope given as JSON (see <see cref="Verify(DsseEnvelope?)"/>).</summary>
    public AttestationVerification Verify(string json) => Verify(Dsse.Parse(json));

    /// <summary>
    /// Checks an envelope's signatures against the registry's keys (current and previous): valid when one signature by a
    /// known key matches the pre-authentication encoding of its payload type and payload. Otherwise says why.
    /// </summary>
    public AttestationVerification Verify(DsseEnvelope? envelope) => keys.Verify(envelope);

    private static AttestationInfo ToInfo(string modelName, int number, long id, long requestId, string keyId, DateTimeOffset createdAt,
        string json)
    {
        var envelope = Dsse.Parse(json) ?? new DsseEnvelope("", "", []);
        Stage? from = null, to = null;
        string? digest = null;
        var approvers = new List<AttestedApproval>();
        try
        {
            var predicate = JsonNode.Parse(Convert.FromBase64String(envelope.Payload))?["predicate"];
            from = ParseStage(predicate?["stage"]?["from"]);
            to = ParseStage(predicate?["stage"]?["to"]);
            digest = predicate?["digest"]?.GetValue<string>();
            foreach (var approver in predicate?["approvers"]?.AsArray() ?? [])
            {
                approvers.Add(new AttestedApproval(approver?["name"]?.GetValue<string>() ?? "",
                    DateTimeOffset.TryParse(approver?["at"]?.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                        ? at
                        : null));
            }
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException)
        {
            // Shown with what could be read; Verify says what is wrong with it.
        }

        return new AttestationInfo(id, modelName, number, requestId, keyId, createdAt, from, to, digest, approvers, envelope);
    }

    private static Stage? ParseStage(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) && Enum.TryParse<Stage>(s, ignoreCase: false, out var stage) && Enum.IsDefined(stage)
            ? stage
            : null;

    private static string Time(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
