using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Signing;

/// <summary>
/// A signed approval attestation: the DSSE envelope of an in-toto statement, made in the transaction of the final
/// approval of a request into Staging or Production. Written once, never changed; the signature is what makes it
/// evidence, the row only keeps it.
/// </summary>
public sealed class Attestation
{
    private Attestation() { }

    internal Attestation(ModelVersion version, TransitionRequest request, string keyId, string envelope, DateTimeOffset now)
    {
        Version = version;
        VersionId = version.Id;
        Request = request;
        RequestId = request.Id;
        KeyId = keyId;
        Envelope = envelope;
        CreatedAt = now;
    }

    public long Id { get; private set; }
    public long VersionId { get; private set; }
    public ModelVersion Version { get; private set; } = null!;

    /// <summary>The approved transition request the attestation records.</summary>
    public long RequestId { get; private set; }

    public TransitionRequest Request { get; private set; } = null!;

    /// <summary>The key id of the key that signed it.</summary>
    public string KeyId { get; private set; } = "";

    /// <summary>The DSSE envelope, JSON, exactly as signed and served.</summary>
    public string Envelope { get; private set; } = "";

    public DateTimeOffset CreatedAt { get; private set; }
}
