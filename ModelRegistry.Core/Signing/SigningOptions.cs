namespace ModelRegistry.Core.Signing;

/// <summary><c>Registry:Signing</c>: the key that signs approval attestations (docs/attestations.md, docs/deploy.md).</summary>
public sealed class SigningOptions
{
    /// <summary>
    /// A PEM file holding the ECDSA P-256 private key (PKCS#8, <c>-----BEGIN PRIVATE KEY-----</c>). Unset: the registry
    /// generates one into <c>{DataDirectory}/signing/attestation-key.pem</c> on first start and keeps it. Relative paths
    /// resolve against the content root, like the data directory.
    /// </summary>
    public string? KeyPath { get; set; }

    /// <summary>
    /// PEM files with the public keys (SPKI, <c>-----BEGIN PUBLIC KEY-----</c>) of keys rotated out: attestations they
    /// signed still verify, and <c>GET /api/v1/signing-keys</c> lists them with their key ids.
    /// </summary>
    public List<string> PreviousPublicKeyPaths { get; set; } = [];
}
