using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelRegistry.Core;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Signing;

namespace ModelRegistry.Tests.Core;

/// <summary>The attestation signing key and DSSE envelopes: encoding, key ids, signing, verification, rotation, bad keys.</summary>
public sealed class SigningTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mr-signing-").FullName;

    private SigningKeys Keys(string? keyPath = null, params string[] previous)
    {
        var options = new RegistryOptions
        {
            DataDirectory = _dir,
            Signing = new SigningOptions { KeyPath = keyPath, PreviousPublicKeyPaths = [.. previous] },
        };
        return new SigningKeys(Options.Create(options), new DataDirectory(_dir, _dir),
            new HostingEnvironment { ContentRootPath = _dir }, NullLogger<SigningKeys>.Instance);
    }

    /// <summary>Writes a fresh key of <paramref name="curve"/> as PKCS#8 PEM (and its public key beside it); returns both paths.</summary>
    private (string Private, string Public) KeyFile(string name, ECCurve? curve = null)
    {
        using var key = ECDsa.Create(curve ?? ECCurve.NamedCurves.nistP256);
        var path = Path.Combine(_dir, name + ".pem");
        File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
        var pub = Path.Combine(_dir, name + ".pub.pem");
        File.WriteAllText(pub, key.ExportSubjectPublicKeyInfoPem());
        return (path, pub);
    }

    private static readonly byte[] Statement = Encoding.UTF8.GetBytes("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[]}");

    [Fact]
    public void Pae_is_the_dsse_v1_encoding_byte_for_byte()
    {
        // The example of the DSSE specification (protocol.md), and lengths counted in bytes, not characters.
        Assert.Equal("DSSEv1 29 http://example.com/HelloWorld 11 hello world"u8.ToArray(),
            Dsse.Pae("http://example.com/HelloWorld", "hello world"u8));
        Assert.Equal("DSSEv1 28 application/vnd.in-toto+json 5 hello"u8.ToArray(), Dsse.Pae(Dsse.InTotoPayloadType, "hello"u8));
        Assert.Equal(Encoding.UTF8.GetBytes("DSSEv1 28 application/vnd.in-toto+json 7 größe"),
            Dsse.Pae(Dsse.InTotoPayloadType, Encoding.UTF8.GetBytes("größe")));
        Assert.Equal("DSSEv1 28 application/vnd.in-toto+json 0 "u8.ToArray(), Dsse.Pae(Dsse.InTotoPayloadType, []));
    }

    [Fact]
    public void A_generated_key_is_p256_pkcs8_owner_only_and_kept_for_the_next_start()
    {
        using var first = Keys();
        first.EnsureLoaded();

        var path = SigningKeys.GeneratedKeyPath(_dir);
        var pem = File.ReadAllText(path);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", pem);
        using (var key = ECDsa.Create())
        {
            key.ImportFromPem(pem);
            Assert.Equal("1.2.840.10045.3.1.7", key.ExportParameters(false).Curve.Oid.Value);
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        }

        using var second = Keys();
        Assert.Equal(first.CurrentKeyId, second.CurrentKeyId);
        Assert.Equal(pem, File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!)); // no temporary file left behind
    }

    [Fact]
    public void Key_id_is_the_lowercase_sha256_hex_of_the_public_keys_spki_der()
    {
        var (privatePath, publicPath) = KeyFile("configured");
        using var keys = Keys(privatePath);

        // From the public key file written independently of the registry: PEM body → DER → SHA-256.
        var der = Convert.FromBase64String(string.Concat(File.ReadAllLines(publicPath).Where(l => !l.StartsWith("-----", StringComparison.Ordinal))));
        var expected = Convert.ToHexStringLower(SHA256.HashData(der));
        Assert.Equal(expected, keys.CurrentKeyId);
        Assert.Matches("^[0-9a-f]{64}$", keys.CurrentKeyId);
        Assert.Equal(File.ReadAllText(publicPath).Trim(), keys.CurrentPublicKeyPem.Trim());
        var listed = Assert.Single(keys.PublicKeys);
        Assert.True(listed.Current);
        Assert.Equal(expected, listed.KeyId);
    }

    [Fact]
    public void A_signed_envelope_verifies_with_the_public_key_alone_and_names_its_key()
    {
        using var keys = Keys();

        var envelope = keys.Sign(Dsse.InTotoPayloadType, Statement);

        Assert.Equal(Dsse.InTotoPayloadType, envelope.PayloadType);
        Assert.Equal(Statement, Convert.FromBase64String(envelope.Payload));
        var signature = Assert.Single(envelope.Signatures);
        Assert.Equal(keys.CurrentKeyId, signature.KeyId);
        Assert.Equal(new AttestationVerification(true, keys.CurrentKeyId, null), keys.Verify(envelope));

        // What an outside verifier does: the PEM public key, the PAE, a DER signature.
        using var outside = ECDsa.Create();
        outside.ImportFromPem(keys.CurrentPublicKeyPem);
        Assert.True(outside.VerifyData(Dsse.Pae(Dsse.InTotoPayloadType, Statement), Convert.FromBase64String(signature.Sig),
            HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));

        // Through its JSON form, as stored and served.
        Assert.True(keys.Verify(Dsse.Parse(Dsse.Serialize(envelope))).Valid);
        Assert.Contains("\"keyid\":", Dsse.Serialize(envelope));
        Assert.Contains("\"payloadType\":\"application/vnd.in-toto+json\"", Dsse.Serialize(envelope));
    }

    [Fact]
    public void A_tampered_payload_signature_key_id_or_type_is_refused_with_the_reason()
    {
        using var keys = Keys();
        var envelope = keys.Sign(Dsse.InTotoPayloadType, Statement);
        var signature = envelope.Signatures[0];

        var tamperedPayload = Statement.ToArray();
        tamperedPayload[^3] ^= 0x01;
        var payload = keys.Verify(envelope with { Payload = Convert.ToBase64String(tamperedPayload) });
        Assert.False(payload.Valid);
        Assert.Contains("does not match the payload", payload.Reason);

        var sigBytes = Convert.FromBase64String(signature.Sig);
        sigBytes[^1] ^= 0x01;
        var sig = keys.Verify(envelope with { Signatures = [signature with { Sig = Convert.ToBase64String(sigBytes) }] });
        Assert.False(sig.Valid);
        Assert.Contains("does not match", sig.Reason);

        var otherId = new string('0', 64);
        var keyId = keys.Verify(envelope with { Signatures = [signature with { KeyId = otherId }] });
        Assert.False(keyId.Valid);
        Assert.Equal(otherId, keyId.KeyId);
        Assert.Contains("not one of the registry's signing keys", keyId.Reason);

        var type = keys.Verify(envelope with { PayloadType = "application/json" });
        Assert.False(type.Valid);
        Assert.Contains("payload type", type.Reason);

        Assert.Contains("not base64", keys.Verify(envelope with { Payload = "not base64!" }).Reason);
        Assert.Contains("no signature", keys.Verify(envelope with { Signatures = [] }).Reason);
        Assert.Contains("not a DSSE envelope", keys.Verify(Dsse.Parse("{\"payload\":\"e30=\"}")).Reason);
        Assert.Contains("not a DSSE envelope", keys.Verify(Dsse.Parse("[1,2]")).Reason);
        Assert.False(keys.Verify(null).Valid);
    }

    [Fact]
    public void A_rotated_out_key_still_verifies_what_it_signed_and_is_listed_as_previous()
    {
        var (oldPrivate, oldPublic) = KeyFile("old");
        var (newPrivate, _) = KeyFile("new");
        string oldId;
        DsseEnvelope signedBefore;
        using (var before = Keys(oldPrivate))
        {
            oldId = before.CurrentKeyId;
            signedBefore = before.Sign(Dsse.InTotoPayloadType, Statement);
        }

        using var rotated = Keys(newPrivate, oldPublic);
        var verification = rotated.Verify(signedBefore);
        Assert.True(verification.Valid, verification.Reason);
        Assert.Equal(oldId, verification.KeyId);
        Assert.Equal(new[] { (rotated.CurrentKeyId, true), (oldId, false) }, rotated.PublicKeys.Select(k => (k.KeyId, k.Current)));
        Assert.NotEqual(oldId, rotated.CurrentKeyId);
        Assert.Equal(rotated.CurrentKeyId, rotated.Sign(Dsse.InTotoPayloadType, Statement).Signatures[0].KeyId);

        using var forgotten = Keys(newPrivate);
        var refused = forgotten.Verify(signedBefore);
        Assert.False(refused.Valid);
        Assert.Contains("not one of the registry's signing keys", refused.Reason);
    }

    [Fact]
    public void A_key_file_that_is_missing_garbage_public_only_or_not_p256_stops_start_up_naming_the_setting()
    {
        var missing = Path.Combine(_dir, "nowhere.pem");
        var garbage = Path.Combine(_dir, "garbage.pem");
        File.WriteAllText(garbage, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
        var (_, publicOnly) = KeyFile("public-only");
        var (p384, _) = KeyFile("p384", ECCurve.NamedCurves.nistP384);
        var rsa = Path.Combine(_dir, "rsa.pem");
        using (var r = RSA.Create(2048))
        {
            File.WriteAllText(rsa, r.ExportPkcs8PrivateKeyPem());
        }

        foreach (var (path, expected) in new[]
                 {
                     (missing, "cannot be read"), (garbage, "is not an unencrypted PEM ECDSA P-256 key"),
                     (publicOnly, "holds no private key"), (p384, "not P-256"), (rsa, "is not an unencrypted PEM ECDSA P-256 key"),
                 })
        {
            using var keys = Keys(path);
            var e = Assert.Throws<SigningKeyException>(keys.EnsureLoaded);
            Assert.Contains(SigningKeys.KeyPathSetting, e.Message);
            Assert.Contains(path, e.Message);
            Assert.Contains(expected, e.Message);
        }

        var (good, _) = KeyFile("good");
        using var withBadPrevious = Keys(good, p384);
        var previous = Assert.Throws<SigningKeyException>(withBadPrevious.EnsureLoaded);
        Assert.Contains(SigningKeys.PreviousKeysSetting, previous.Message);
        Assert.Contains("not P-256", previous.Message);
        Assert.False(File.Exists(SigningKeys.GeneratedKeyPath(_dir))); // a bad configured key is never replaced by a generated one
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
