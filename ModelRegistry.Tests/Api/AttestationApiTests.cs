using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>A registry with one approved version ("attested" v1), one unapproved (v2), and a client per role.</summary>
public sealed class AttestationApiFixture : IAsyncLifetime
{
    public const string Model = "attested";

    private readonly Dictionary<string, HttpClient> _clients = new();

    public RegistryApp App { get; } = new();

    public HttpClient ClientFor(string role) => _clients[role];

    public async ValueTask InitializeAsync()
    {
        foreach (var role in ApiAccessMatrixTests.AllRoles)
        {
            _clients[role] = await App.ClientForAsync(await App.CreateUserAsync(role == Roles.Viewer ? [] : [role]));
        }

        var ds = await App.CreateUserAsync(Roles.DataScientist);
        var reviewer = await App.CreateUserAsync(Roles.Reviewer);
        await App.ModelWithVersionsAsync(ds, Model, 2);
        await App.UploadAsync(ds, Model, 1, "config.json", Encoding.UTF8.GetBytes("{\"model_type\":\"llama\"}"));
        await App.PromoteAsync(ds, reviewer, Model, 1, Stage.Staging);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }

        await App.DisposeAsync();
    }
}

/// <summary>The attestation routes: who may read them, what they answer, and the server-side check.</summary>
public sealed class AttestationApiTests(AttestationApiFixture fixture) : IClassFixture<AttestationApiFixture>
{
    private const string Url = $"/api/v1/models/{AttestationApiFixture.Model}/versions/1/attestations";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> EveryRole() => new(ApiAccessMatrixTests.AllRoles);

    private async Task<JsonObject> EnvelopeAsync()
    {
        var list = await fixture.ClientFor(Roles.Viewer).GetFromJsonAsync<JsonArray>(Url, Ct);
        return list![0]!.AsObject();
    }

    private async Task<JsonElement> VerifyAsync(string role, HttpContent body)
    {
        using var response = await fixture.ClientFor(role).PostAsync("/api/v1/attestations/verify", body, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    [Theory]
    [MemberData(nameof(EveryRole))]
    public async Task Every_role_reads_the_attestations_and_keys_and_may_verify_without_changing_anything(string role)
    {
        var client = fixture.ClientFor(role);
        var before = await fixture.App.StateAsync();

        using var list = await client.GetAsync(Url, Ct);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var envelopes = JsonDocument.Parse(await list.Content.ReadAsStringAsync(Ct)).RootElement;
        var envelope = Assert.Single(envelopes.EnumerateArray().ToList());
        Assert.Equal("application/vnd.in-toto+json", envelope.GetProperty("payloadType").GetString());
        var signature = Assert.Single(envelope.GetProperty("signatures").EnumerateArray().ToList());
        var keyId = signature.GetProperty("keyid").GetString()!;
        Assert.NotEmpty(Convert.FromBase64String(signature.GetProperty("sig").GetString()!));
        var statement = JsonDocument.Parse(Convert.FromBase64String(envelope.GetProperty("payload").GetString()!)).RootElement;
        Assert.Equal("config.json", statement.GetProperty("subject")[0].GetProperty("name").GetString());

        using var key = await client.GetAsync("/api/v1/signing-key", Ct);
        Assert.Equal(HttpStatusCode.OK, key.StatusCode);
        Assert.Equal("application/x-pem-file", key.Content.Headers.ContentType?.MediaType);
        var pem = await key.Content.ReadAsStringAsync(Ct);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", pem);
        using (var ecdsa = ECDsa.Create())
        {
            ecdsa.ImportFromPem(pem);
            Assert.Equal(keyId, Convert.ToHexStringLower(SHA256.HashData(ecdsa.ExportSubjectPublicKeyInfo())));
        }

        var keys = await client.GetFromJsonAsync<JsonElement>("/api/v1/signing-keys", Ct);
        var listed = Assert.Single(keys.EnumerateArray().ToList());
        Assert.Equal(keyId, listed.GetProperty("keyid").GetString());
        Assert.Equal(pem.Trim(), listed.GetProperty("publicKeyPem").GetString()!.Trim());
        Assert.True(listed.GetProperty("current").GetBoolean());

        var verdict = await VerifyAsync(role, new StringContent(envelope.GetRawText(), Encoding.UTF8, "application/json"));
        Assert.True(verdict.GetProperty("valid").GetBoolean());
        Assert.Equal(keyId, verdict.GetProperty("keyid").GetString());
        Assert.False(verdict.TryGetProperty("reason", out _));

        Assert.Equal(before, await fixture.App.StateAsync());
    }

    [Fact]
    public async Task A_tampered_envelope_is_invalid_and_says_why()
    {
        var envelope = await EnvelopeAsync();
        var statement = Encoding.UTF8.GetString(Convert.FromBase64String((string)envelope["payload"]!));
        Assert.Contains("\"to\":\"Staging\"", statement);

        var promoted = envelope.DeepClone().AsObject();
        promoted["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(statement.Replace("\"to\":\"Staging\"", "\"to\":\"Production\"", StringComparison.Ordinal)));
        var tampered = await VerifyAsync(Roles.Viewer, JsonContent.Create(promoted));
        Assert.False(tampered.GetProperty("valid").GetBoolean());
        Assert.Contains("does not match the payload", tampered.GetProperty("reason").GetString());

        var otherKey = envelope.DeepClone().AsObject();
        otherKey["signatures"]![0]!["keyid"] = new string('a', 64);
        var unknown = await VerifyAsync(Roles.Auditor, JsonContent.Create(otherKey));
        Assert.False(unknown.GetProperty("valid").GetBoolean());
        Assert.Equal(new string('a', 64), unknown.GetProperty("keyid").GetString());
        Assert.Contains("not one of the registry's signing keys", unknown.GetProperty("reason").GetString());

        var empty = await VerifyAsync(Roles.Viewer, new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.False(empty.GetProperty("valid").GetBoolean());
        Assert.Contains("not a DSSE envelope", empty.GetProperty("reason").GetString());

        using var broken = await fixture.ClientFor(Roles.Viewer).PostAsync("/api/v1/attestations/verify",
            new StringContent("{\"payloadType\":", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
    }

    [Fact]
    public async Task A_version_without_approvals_has_none_and_an_unknown_model_or_version_is_404()
    {
        var client = fixture.ClientFor(Roles.Viewer);

        Assert.Equal("[]", await client.GetStringAsync($"/api/v1/models/{AttestationApiFixture.Model}/versions/2/attestations", Ct));

        foreach (var path in new[]
                 {
                     $"/api/v1/models/{AttestationApiFixture.Model}/versions/9/attestations", "/api/v1/models/no-such-model/versions/1/attestations",
                 })
        {
            using var response = await client.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Signed_out_callers_get_401()
    {
        using var anonymous = fixture.App.AnonymousClient();
        foreach (var (method, path) in new[]
                 {
                     ("GET", Url), ("GET", "/api/v1/signing-key"), ("GET", "/api/v1/signing-keys"), ("POST", "/api/v1/attestations/verify"),
                 })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path)
            {
                Content = method == "POST" ? new StringContent("{}", Encoding.UTF8, "application/json") : null,
            };
            using var response = await anonymous.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }
}
