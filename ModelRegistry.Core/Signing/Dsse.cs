using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModelRegistry.Core.Signing;

/// <summary>One signature of a DSSE envelope.</summary>
/// <param name="KeyId">Which key signed: lowercase hex SHA-256 of its SubjectPublicKeyInfo DER.</param>
/// <param name="Sig">Base64 of the DER-encoded ECDSA signature over the envelope's <see cref="Dsse.Pae"/>.</param>
public sealed record DsseSignature(
    [property: JsonPropertyName("keyid")] string KeyId,
    [property: JsonPropertyName("sig")] string Sig);

/// <summary>
/// A DSSE envelope (github.com/secure-systems-lab/dsse, "envelope.md"): the payload, its type, and signatures over the
/// pre-authentication encoding of both — so a signature can never be read as one over another type of payload.
/// </summary>
/// <param name="Payload">Base64 (standard alphabet, padded) of the payload's bytes.</param>
public sealed record DsseEnvelope(
    [property: JsonPropertyName("payloadType")] string PayloadType,
    [property: JsonPropertyName("payload")] string Payload,
    [property: JsonPropertyName("signatures")] IReadOnlyList<DsseSignature> Signatures);

/// <summary>The DSSE v1 protocol pieces the registry uses.</summary>
public static class Dsse
{
    /// <summary>The payload type of an in-toto statement.</summary>
    public const string InTotoPayloadType = "application/vnd.in-toto+json";

    // Base64's '+' written as itself, not as \u002B: the same bytes any JSON tool would write.
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonSerializerOptions IndentedJson = new(Json) { WriteIndented = true };

    /// <summary>
    /// The pre-authentication encoding that is signed: <c>"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body</c>, where
    /// LEN is the byte length in ASCII decimal and the type is UTF-8.
    /// </summary>
    public static byte[] Pae(string payloadType, ReadOnlySpan<byte> payload)
    {
        var type = Encoding.UTF8.GetBytes(payloadType);
        var head = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"DSSEv1 {type.Length} "));
        var middle = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $" {payload.Length} "));
        var pae = new byte[head.Length + type.Length + middle.Length + payload.Length];
        var at = 0;
        head.CopyTo(pae, at);
        at += head.Length;
        type.CopyTo(pae, at);
        at += type.Length;
        middle.CopyTo(pae, at);
        at += middle.Length;
        payload.CopyTo(pae.AsSpan(at));
        return pae;
    }

    /// <summary>The envelope as compact JSON (how it is stored).</summary>
    public static string Serialize(DsseEnvelope envelope) => JsonSerializer.Serialize(envelope, Json);

    /// <summary>The envelope as indented JSON (a download a person may read).</summary>
    public static string SerializeIndented(DsseEnvelope envelope) => JsonSerializer.Serialize(envelope, IndentedJson);

    /// <summary>Reads an envelope from JSON; null when the JSON is no envelope (missing fields, wrong types).</summary>
    public static DsseEnvelope? Parse(string json)
    {
        try
        {
            var envelope = JsonSerializer.Deserialize<DsseEnvelope>(json, Json);
            return IsWellFormed(envelope) ? envelope : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether every field an envelope needs is there. JSON readers leave a missing field null whatever the type says,
    /// so an envelope bound from a request body is checked with this before it is used.
    /// </summary>
    public static bool IsWellFormed([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] DsseEnvelope? envelope) =>
        envelope is { PayloadType: not null, Payload: not null, Signatures: not null }
        && envelope.Signatures.All(s => s is { KeyId: not null, Sig: not null });
}
