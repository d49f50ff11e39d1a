using System.Text;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using ModelRegistry.Core.Signing;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Web.Api;

/// <summary>
/// Approval attestations and the keys that verify them (docs/attestations.md). Everything here only reads: any signed-in
/// role may use it, like browsing; <c>POST …/verify</c> checks a posted envelope and changes nothing.
/// </summary>
internal static class AttestationsApi
{
    /// <summary>The media type of a PEM file.</summary>
    public const string PemType = "application/x-pem-file";

    /// <summary>A public key attestations verify with.</summary>
    /// <param name="KeyId">Lowercase hex SHA-256 of the key's SubjectPublicKeyInfo DER, as DSSE signatures name it.</param>
    /// <param name="PublicKeyPem">The key, PEM (SPKI).</param>
    /// <param name="Current">Whether new attestations are signed with it.</param>
    public sealed record SigningKeyBody([property: JsonPropertyName("keyid")] string KeyId, string PublicKeyPem, bool Current);

    public static void MapAttestations(this RouteGroupBuilder api)
    {
        // A read: it takes a version reference (an alias, production, a commit …) like the other version reads.
        api.MapGet("/models/{name}/versions/{number}/attestations", async Task<Ok<IReadOnlyList<DsseEnvelope>>> (string name, string number,
                VersionReferences references, AttestationService service, CancellationToken ct) =>
                TypedResults.Ok(await service.ListEnvelopesAsync(name, await references.ResolveAsync(name, number, ct), ct)))
            .WithTags("Attestations")
            .WithName("listAttestations")
            .WithSummary("Lists the version's approval attestations")
            .WithDescription("DSSE envelopes of in-toto statements, oldest first (docs/attestations.md).")
            .ReadsVersionReference();

        api.MapGet("/signing-key", (AttestationService service) =>
                TypedResults.Text(service.CurrentPublicKeyPem, PemType, Encoding.UTF8))
            .Produces<string>(StatusCodes.Status200OK, PemType)
            .WithTags("Attestations")
            .WithName("getSigningKey")
            .WithSummary("Reads the current signing key")
            .WithDescription("The public key new attestations are signed with, PEM (SPKI).");

        api.MapGet("/signing-keys", (AttestationService service) =>
                TypedResults.Ok(service.PublicKeys.Select(k => new SigningKeyBody(k.KeyId, k.PublicKeyPem, k.Current)).ToList()))
            .WithTags("Attestations")
            .WithName("listSigningKeys")
            .WithSummary("Lists the keys attestations verify with")
            .WithDescription("The current key and those rotated out, with their key ids.");

        api.MapPost("/attestations/verify", (DsseEnvelope? body, AttestationService service) =>
                TypedResults.Ok(service.Verify(body)))
            .WithTags("Attestations")
            .WithName("verifyAttestation")
            .WithSummary("Checks an attestation's signature")
            .WithDescription("Against the registry's current and previous keys: {valid, keyid, reason}. Changes nothing.")
            .TakesJson();
    }
}
