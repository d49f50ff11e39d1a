using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Webhooks;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// An Auditor reads everything and changes nothing: every mutating API endpoint the app maps (enumerated from the app,
/// not a hand list) answers 403 to an Auditor's token, aimed at things that exist, and the registry is unchanged after.
/// </summary>
public sealed partial class AuditorReadOnlyApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// What the roles matrix of docs/design.md ("Roles") lets every signed-in user change: their own API tokens; and the POSTs that only
    /// read, open to every role (checking an attestation's signature, AttestationApiTests).
    /// </summary>
    private static readonly string[] OwnedByEveryone = ["/api/v1/tokens", "/api/v1/attestations/verify"];

    /// <summary>
    /// A resumable upload exists only for the one who created it (anyone else gets 404, ResumableUploadApiTests); an Auditor
    /// cannot create one (its creation, …/versions/{number}/uploads, is in the list below and answers 403).
    /// </summary>
    private static readonly string[] OwnedByTheirCreator = ["/api/v1/uploads/"];

    [Fact]
    public async Task Every_mutating_endpoint_is_403_for_an_auditor_and_changes_nothing()
    {
        const string model = "read-only";
        await using var app = new RegistryApp { Settings = { ["Registry:Webhooks:AllowPrivateNetworks"] = "true" } };
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var admin = await app.CreateUserAsync(Roles.Admin);
        await app.ModelWithVersionsAsync(ds, model, 1);
        await app.UploadAsync(ds, model, 1, "config.json", "{}"u8.ToArray());
        var result = (await app.Get<EvaluationService>().RecordAsync(ds.Actor, model, 1, [new MetricInput("accuracy", 0.5)],
            EvaluationSource.Api, Ct))[0];
        var pending = await app.RequestAsync(ds, model, 1, Stage.Staging);
        var (webhook, _) = await app.Get<WebhookService>().CreateAsync(admin.Actor,
            new CreateWebhook("http://127.0.0.1:9/registry-hook", [WebhookEvents.ModelCreated], "a-secret-of-some-length"), Ct);
        var auditor = await app.CreateUserAsync(Roles.Auditor);
        using var client = await app.ClientForAsync(auditor);

        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Pattern: "/" + (e.RoutePattern.RawText ?? "").TrimStart('/'),
                Methods: e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []))
            .Where(e => e.Pattern.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(e => e.Methods.Where(m => m is not ("GET" or "HEAD" or "OPTIONS")).Select(m => (Method: m, e.Pattern)))
            .Where(e => !OwnedByEveryone.Concat(OwnedByTheirCreator).Any(p => e.Pattern.StartsWith(p, StringComparison.Ordinal)))
            .Distinct()
            .ToList();
        Assert.True(endpoints.Count >= 15, $"only {endpoints.Count} mutating endpoints found: {string.Join(", ", endpoints)}");
        var before = await app.StateAsync();

        var failures = new List<string>();
        foreach (var (method, pattern) in endpoints)
        {
            var path = Parameter().Replace(pattern, m => m.Groups["name"].Value switch
            {
                "name" => model,
                "number" => "1",
                "path" => "config.json",
                "deliveryId" => "1",
                "alias" => "champion",
                "team" => "ml-platform",
                "email" => "someone@example.com",
                "id" when pattern.Contains("/transitions/", StringComparison.Ordinal) => pending.Id.ToString(CultureInfo.InvariantCulture),
                "id" when pattern.Contains("/webhooks/", StringComparison.Ordinal) => webhook.Id.ToString(CultureInfo.InvariantCulture),
                "id" when pattern.Contains("/metrics/", StringComparison.Ordinal) => result.Id.ToString(CultureInfo.InvariantCulture),
                var other => throw new InvalidOperationException($"No sample value for {{{other}}} in {pattern}: add one."),
            });
            // A request that would succeed for a DataScientist or Admin: only the role may stop it.
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = ValidBody(pattern) };
            using var response = await client.SendAsync(request, Ct);
            if (response.StatusCode != HttpStatusCode.Forbidden
                || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                failures.Add($"{method} {path} → {(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType}");
            }
        }

        Assert.Empty(failures);
        var after = await app.StateAsync();
        Assert.Equal(before, after);
    }

    private static ByteArrayContent ValidBody(string pattern) => pattern switch
    {
        _ when pattern.EndsWith("/card", StringComparison.Ordinal) || pattern.EndsWith("/card/", StringComparison.Ordinal) =>
            new StringContent("# Card\n\n## Intended use\nTests.", System.Text.Encoding.UTF8, "text/markdown"),
        _ when pattern.Contains("/metrics/{id", StringComparison.Ordinal) =>
            new StringContent("""{"name":"accuracy","value":0.6}""", System.Text.Encoding.UTF8, "application/json"),
        _ when pattern.Contains("/metrics", StringComparison.Ordinal) =>
            new StringContent("""[{"name":"accuracy","value":0.5}]""", System.Text.Encoding.UTF8, "application/json"),
        _ when pattern.Contains("/files/", StringComparison.Ordinal) => new ByteArrayContent("{}"u8.ToArray()),
        _ when pattern.EndsWith("/uploads", StringComparison.Ordinal) => TusCreation(),
        _ => new StringContent("""{"name":"new-model","toStage":"Production","comment":"c","text":"t","environment":"prod","status":"Deployed","url":"http://127.0.0.1:9/h","events":["model.created"],"secret":"a-secret-of-some-length","version":1}""",
            System.Text.Encoding.UTF8, "application/json"),
    };

    /// <summary>A tus creation request (headers only) that a DataScientist's token would see answered 201.</summary>
    private static ByteArrayContent TusCreation()
    {
        var content = new ByteArrayContent([]);
        content.Headers.TryAddWithoutValidation("Tus-Resumable", "1.0.0");
        content.Headers.TryAddWithoutValidation("Upload-Length", "2");
        content.Headers.TryAddWithoutValidation("Upload-Metadata", "path " + Convert.ToBase64String("new.bin"u8));
        return content;
    }

    [GeneratedRegex(@"\{\*{0,2}(?<name>[A-Za-z]+)(:[^}]+)?\??\}")]
    private static partial Regex Parameter();
}
