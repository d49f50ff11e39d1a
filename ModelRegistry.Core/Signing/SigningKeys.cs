using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Signing;

/// <summary>A public key the registry signs (or signed) attestations with.</summary>
/// <param name="KeyId">Lowercase hex SHA-256 of the key's SubjectPublicKeyInfo (DER): what a DSSE signature names.</param>
/// <param name="PublicKeyPem">The key as PEM (<c>-----BEGIN PUBLIC KEY-----</c>, SPKI).</param>
/// <param name="Current">Whether new attestations are signed with it (false: a rotated-out key, kept for verification).</param>
public sealed record SigningPublicKey(string KeyId, string PublicKeyPem, bool Current);

/// <summary>The signing key could not be loaded or made; start-up stops with this message, which names the setting.</summary>
public sealed class SigningKeyException(string message, Exception? inner = null) : InvalidOperationException(message, inner);

/// <summary>
/// The ECDSA P-256 key that signs approval attestations, and the public keys attestations are verified with (the
/// current one and those rotated out, <see cref="SigningOptions.PreviousPublicKeyPaths"/>). The private key lives in
/// a file, never in the database (decision 16): <see cref="SigningOptions.KeyPath"/>, or one generated on first start
/// into <c>{DataDirectory}/signing/attestation-key.pem</c> (mode 0600) and kept. Loaded once, on first use; start-up
/// calls <see cref="EnsureLoaded"/> so that a bad key stops the server before it takes requests.
/// </summary>
public sealed class SigningKeys : IDisposable
{
    /// <summary>The OID of the NIST P-256 curve (secp256r1, prime256v1).</summary>
    private const string P256Oid = "1.2.840.10045.3.1.7";

    public const string KeyPathSetting = "Registry:Signing:KeyPath";
    public const string PreviousKeysSetting = "Registry:Signing:PreviousPublicKeyPaths";

    /// <summary>The folder of the data directory holding the generated key; a backup copies it.</summary>
    public const string DirectoryName = "signing";

    public const string GeneratedKeyFile = "attestation-key.pem";

    private readonly Lazy<Loaded> _loaded;
    private readonly Lock _signLock = new();

    public SigningKeys(IOptions<RegistryOptions> options, DataDirectory data, IHostEnvironment environment, ILogger<SigningKeys> logger)
    {
        _loaded = new Lazy<Loaded>(() => Load(options.Value.Signing, data, environment.ContentRootPath, logger),
            LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Where a generated key lives in <paramref name="dataRoot"/>.</summary>
    public static string GeneratedKeyPath(string dataRoot) => Path.Combine(dataRoot, DirectoryName, GeneratedKeyFile);

    /// <summary>Loads (or generates) the key now; throws <see cref="SigningKeyException"/> naming the setting to fix.</summary>
    public void EnsureLoaded() => _ = _loaded.Value;

    /// <summary>The key id of the current key.</summary>
    public string CurrentKeyId => _loaded.Value.Current.KeyId;

    /// <summary>The current public key, PEM (SPKI).</summary>
    public string CurrentPublicKeyPem => _loaded.Value.Current.PublicKeyPem;

    /// <summary>Every key attestations verify with: the current one first, then the rotated-out ones as configured.</summary>
    public IReadOnlyList<SigningPublicKey> PublicKeys => _loaded.Value.PublicKeys;

    /// <summary>
    /// Signs <paramref name="payload"/> as a DSSE envelope with the current key: the signature is the DER-encoded
    /// (RFC 3279) ECDSA P-256 / SHA-256 signature over <see cref="Dsse.Pae"/> of the type and the payload.
    /// </summary>
    public DsseEnvelope Sign(string payloadType, byte[] payload)
    {
        var loaded = _loaded.Value;
        var pae = Dsse.Pae(payloadType, payload);
        byte[] signature;
        lock (_signLock)
        {
            signature = loaded.Private.SignData(pae, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }

        return new DsseEnvelope(payloadType, Convert.ToBase64String(payload),
            [new DsseSignature(loaded.Current.KeyId, Convert.ToBase64String(signature))]);
    }

    /// <summary>
    /// Checks an envelope against the known keys (current and previous): valid when one signature by a known key matches
    /// the pre-authentication encoding of its payload type and payload; otherwise says why. Only in-toto payloads are
    /// accepted, the only kind the registry signs.
    /// </summary>
    public AttestationVerification Verify(DsseEnvelope? envelope)
    {
        if (!Dsse.IsWellFormed(envelope))
        {
            return AttestationVerification.Invalid(null, "This is not a DSSE envelope: it needs payloadType, payload and signatures.");
        }

        if (envelope.Signatures.Count == 0)
        {
            return AttestationVerification.Invalid(null, "The envelope has no signature.");
        }

        var first = envelope.Signatures[0].KeyId;

        if (!string.Equals(envelope.PayloadType, Dsse.InTotoPayloadType, StringComparison.Ordinal))
        {
            return AttestationVerification.Invalid(first, $"The payload type is not {Dsse.InTotoPayloadType}: the registry signs in-toto statements only.");
        }

        var payload = new byte[envelope.Payload.Length];
        if (!Convert.TryFromBase64String(envelope.Payload, payload, out var length))
        {
            return AttestationVerification.Invalid(first, "The payload is not base64.");
        }

        var pae = Dsse.Pae(envelope.PayloadType, payload.AsSpan(0, length));
        var reasons = new List<string>();
        foreach (var signature in envelope.Signatures)
        {
            var sig = new byte[signature.Sig.Length];
            if (!Convert.TryFromBase64String(signature.Sig, sig, out var sigLength))
            {
                reasons.Add($"The signature of key {Short(signature.KeyId)} is not base64.");
                continue;
            }

            switch (VerifySignature(signature.KeyId, pae, sig[..sigLength]))
            {
                case true:
                    return new AttestationVerification(true, signature.KeyId, null);
                case null:
                    reasons.Add($"Key {Short(signature.KeyId)} is not one of the registry's signing keys (current or previous).");
                    break;
                default:
                    reasons.Add($"The signature of key {Short(signature.KeyId)} does not match the payload: the envelope was changed after it was signed.");
                    break;
            }
        }

        return AttestationVerification.Invalid(first, string.Join(" ", reasons));
    }

    private static string Short(string keyId) => keyId.Length > 12 ? keyId[..12] + "…" : keyId;

    /// <summary>
    /// Whether <paramref name="signature"/> (DER) is a valid signature of <paramref name="data"/> by the key
    /// <paramref name="keyId"/>; null when no known key has that id.
    /// </summary>
    private bool? VerifySignature(string keyId, byte[] data, byte[] signature)
    {
        if (!_loaded.Value.SpkiByKeyId.TryGetValue(keyId, out var spki))
        {
            return null;
        }

        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(spki, out _);
        try
        {
            return key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false; // Not a DER sequence at all.
        }
    }

    /// <summary>The key id of a public key: lowercase hex SHA-256 of its SubjectPublicKeyInfo DER.</summary>
    public static string KeyIdOf(ECDsa key) => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));

    public void Dispose()
    {
        if (_loaded.IsValueCreated)
        {
            _loaded.Value.Private.Dispose();
        }
    }

    private sealed record Loaded(ECDsa Private, SigningPublicKey Current, IReadOnlyList<SigningPublicKey> PublicKeys,
        IReadOnlyDictionary<string, byte[]> SpkiByKeyId);

    private static Loaded Load(SigningOptions options, DataDirectory data, string contentRoot, ILogger logger)
    {
        ECDsa key;
        if (string.IsNullOrWhiteSpace(options.KeyPath))
        {
            var path = GeneratedKeyPath(data.Root);
            if (!File.Exists(path))
            {
                Generate(path, logger);
            }

            key = ReadPrivateKey(path, $"the generated attestation signing key '{path}' (set {KeyPathSetting} to use another key file)");
        }
        else
        {
            var path = Resolve(options.KeyPath, contentRoot);
            key = ReadPrivateKey(path, $"the attestation signing key '{path}' ({KeyPathSetting})");
        }

        var current = new SigningPublicKey(KeyIdOf(key), key.ExportSubjectPublicKeyInfoPem(), Current: true);
        var keys = new List<SigningPublicKey> { current };
        var spki = new Dictionary<string, byte[]>(StringComparer.Ordinal) { [current.KeyId] = key.ExportSubjectPublicKeyInfo() };
        foreach (var configured in options.PreviousPublicKeyPaths.Where(p => !string.IsNullOrWhiteSpace(p)))
        {
            var path = Resolve(configured, contentRoot);
            using var previous = ReadPublicKey(path, $"the previous signing key '{path}' ({PreviousKeysSetting})");
            var keyId = KeyIdOf(previous);
            if (spki.TryAdd(keyId, previous.ExportSubjectPublicKeyInfo()))
            {
                keys.Add(new SigningPublicKey(keyId, previous.ExportSubjectPublicKeyInfoPem(), Current: false));
            }
        }

        logger.SigningKeysLoaded(current.KeyId, keys.Count - 1);
        return new Loaded(key, current, keys, spki);
    }

    private static string Resolve(string path, string contentRoot) =>
        Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(contentRoot, path));

    /// <summary>
    /// Writes a new P-256 key as PKCS#8 PEM, readable by the owner only, through a temporary file moved into place so a
    /// crash never leaves half a key; should another process have made one meanwhile, that one is kept.
    /// </summary>
    private static void Generate(string path, ILogger logger)
    {
        var directory = Path.GetDirectoryName(path)!;
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var temp = Path.Combine(directory, $".{GeneratedKeyFile}.{Guid.NewGuid():N}.tmp");
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var file = new FileStream(temp, create))
            using (var writer = new StreamWriter(file))
            {
                writer.Write(key.ExportPkcs8PrivateKeyPem());
                writer.Write('\n');
                writer.Flush();
                file.Flush(flushToDisk: true);
            }

            try
            {
                File.Move(temp, path, overwrite: false);
                logger.SigningKeyGenerated(path);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temp); // Another process was first; its key is the registry's key.
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SigningKeyException(
                $"error: cannot create the attestation signing key '{path}': {e.Message} Make the data directory writable or set {KeyPathSetting}.", e);
        }
    }

    private static ECDsa ReadPrivateKey(string path, string what)
    {
        var key = ReadKey(path, what);
        try
        {
            _ = key.ExportParameters(includePrivateParameters: true);
        }
        catch (CryptographicException e)
        {
            key.Dispose();
            throw new SigningKeyException($"error: {what} holds no private key: it must be an ECDSA P-256 private key, PEM PKCS#8 (-----BEGIN PRIVATE KEY-----).", e);
        }

        return key;
    }

    private static ECDsa ReadPublicKey(string path, string what) => ReadKey(path, what);

    /// <summary>Reads a PEM key and checks that it is on P-256.</summary>
    private static ECDsa ReadKey(string path, string what)
    {
        string pem;
        try
        {
            pem = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new SigningKeyException($"error: {what} cannot be read: {e.Message}", e);
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            key.Dispose();
            throw new SigningKeyException(
                $"error: {what} is not an unencrypted PEM ECDSA P-256 key (PKCS#8 private key or SPKI public key): {e.Message}", e);
        }

        var curve = key.ExportParameters(includePrivateParameters: false).Curve;
        if (!curve.IsNamed || !(curve.Oid.Value == P256Oid || curve.Oid.FriendlyName is "nistP256" or "ECDSA_P256" or "prime256v1" or "secp256r1"))
        {
            key.Dispose();
            throw new SigningKeyException(
                $"error: {what} is on curve {curve.Oid.FriendlyName ?? curve.Oid.Value ?? "(explicit)"}, not P-256 (prime256v1): attestations are signed with ECDSA P-256.");
        }

        return key;
    }
}
