using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

public sealed class HealthTests(RegistryApp app) : HealthTestsCases<RegistryApp>(app);

/// <summary>The same cases on PostgreSQL.</summary>
public sealed class HealthTestsOnPostgres(PostgresRegistryApp app) : HealthTestsCases<PostgresRegistryApp>(app);

public abstract class HealthTestsCases<TApp>(TApp app) : IClassFixture<TApp> where TApp : RegistryApp
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Healthz_is_200_without_signing_in_and_reports_database_and_artifact_store_healthy()
    {
        await app.InitializeAsync();
        using var client = app.AnonymousClient();

        var response = await client.GetAsync("/healthz", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var health = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("Healthy", health.GetProperty("status").GetString());
        var checks = health.GetProperty("checks");
        Assert.Equal("Healthy", checks.GetProperty("database").GetProperty("status").GetString());
        Assert.Equal("Healthy", checks.GetProperty("artifact-store").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Healthz_is_503_when_the_artifact_store_is_gone()
    {
        await app.InitializeAsync();
        using var client = app.AnonymousClient();
        var artifacts = Path.Combine(app.DataDirectory, "artifacts");
        var moved = artifacts + ".away";
        Directory.Move(artifacts, moved);
        try
        {
            var response = await client.GetAsync("/healthz", Ct);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var health = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal("Unhealthy", health.GetProperty("checks").GetProperty("artifact-store").GetProperty("status").GetString());
            Assert.Equal("Healthy", health.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
        }
        finally
        {
            Directory.Move(moved, artifacts);
        }
    }
}
