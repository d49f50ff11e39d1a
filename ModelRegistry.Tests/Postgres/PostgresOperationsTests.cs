using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Operations;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Webhooks;
using ModelRegistry.Tests.Infrastructure;
using Npgsql;

namespace ModelRegistry.Tests.Postgres;

/// <summary>What differs on PostgreSQL, and what happens when the database goes away under a running registry.</summary>
public sealed class PostgresOperationsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task While_the_database_is_unreachable_healthz_and_requests_answer_503_and_nothing_is_half_saved()
    {
        var server = PostgresServer.Instance;
        await using var relay = new TcpRelay(server.Port);
        var viaRelay = new NpgsqlConnectionStringBuilder(server.CreateDatabase()) { Port = relay.Port, Timeout = 3 }.ConnectionString;
        await using var app = new RegistryApp { Database = DatabaseProvider.Postgres, ConnectionString = viaRelay };
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        using var client = await app.ClientForAsync(ds);
        using var anonymous = app.AnonymousClient();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/v1/models", new { name = "before-the-cut" }, Ct)).StatusCode);

        relay.Cut();
        var health = await anonymous.GetAsync("/healthz", Ct);
        var create = await client.PostAsJsonAsync("/api/v1/models", new { name = "during-the-cut" }, Ct);
        var read = await client.GetAsync("/api/v1/models", Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        var checks = (await health.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("checks");
        Assert.Equal("Unhealthy", checks.GetProperty("database").GetProperty("status").GetString());
        Assert.Equal("Healthy", checks.GetProperty("artifact-store").GetProperty("status").GetString());
        foreach (var response in new[] { create, read })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("Database unavailable", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("title").GetString());
            Assert.True(response.Headers.RetryAfter is not null);
        }

        relay.Restore();
        await WaitUntilHealthyAsync(anonymous);
        var models = await client.GetFromJsonAsync<JsonElement>("/api/v1/models", Ct);
        Assert.Equal(["before-the-cut"], models.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/models/during-the-cut", Ct)).StatusCode);
    }

    [Fact]
    public async Task The_audit_logs_free_text_filter_is_answered_from_the_trigram_indexes()
    {
        await using var app = new RegistryApp { Database = DatabaseProvider.Postgres };
        await app.CreateUserAsync(Roles.Auditor); // starts the registry, which migrates the database
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync(Ct);
        // A tiny table is cheapest to scan; forbid that so the plan shows whether an index can answer at all.
        await using (var off = new NpgsqlCommand("SET enable_seqscan = off", connection))
        {
            await off.ExecuteNonQueryAsync(Ct);
        }

        await using var explain = new NpgsqlCommand("""
            EXPLAIN SELECT count(*) FROM "AuditEvents"
            WHERE "Data" ILIKE @p ESCAPE '\' OR "EntityId" ILIKE @p ESCAPE '\' OR "ActorName" ILIKE @p ESCAPE '\'
            """, connection);
        explain.Parameters.AddWithValue("p", "%needle%");
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                plan.Add(reader.GetString(0));
            }
        }

        var text = string.Join("\n", plan);
        Assert.Contains("IX_AuditEvents_Data_Trigram", text);
        Assert.Contains("IX_AuditEvents_EntityId_Trigram", text);
        Assert.Contains("IX_AuditEvents_ActorName_Trigram", text);
    }

    [Fact]
    public async Task A_database_that_does_not_exist_yet_is_created_at_the_first_start()
    {
        var missing = new NpgsqlConnectionStringBuilder(PostgresServer.Instance.CreateDatabase()) { Database = $"not_yet_{Guid.NewGuid():N}" };
        await using var app = new RegistryApp { Database = DatabaseProvider.Postgres, ConnectionString = missing.ConnectionString };

        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var model = await app.RegisterModelAsync(ds, "in-a-new-database");

        Assert.Equal("in-a-new-database", model.Name);
    }

    [Fact]
    public async Task Audit_events_cannot_be_changed_or_deleted_in_the_database()
    {
        await using var app = new RegistryApp { Database = DatabaseProvider.Postgres };
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "append-only");

        var update = await Assert.ThrowsAnyAsync<DbException>(() => app.ExecuteSqlAsync("UPDATE \"AuditEvents\" SET \"ActorName\" = 'mallory'"));
        var delete = await Assert.ThrowsAnyAsync<DbException>(() => app.ExecuteSqlAsync("DELETE FROM \"AuditEvents\""));
        var truncate = await Assert.ThrowsAnyAsync<DbException>(() => app.ExecuteSqlAsync("TRUNCATE \"AuditEvents\" CASCADE"));

        Assert.All([update, delete, truncate], e => Assert.Contains("audit events are append-only", e.Message));
        Assert.True((await app.Get<AuditLogService>().VerifyAsync(Actor.CommandLine, Ct)).Valid);
    }

    [Fact]
    public async Task Backup_on_postgres_points_to_pg_dump_and_writes_nothing()
    {
        await using var app = new RegistryApp { Database = DatabaseProvider.Postgres };
        await app.InitializeAsync();
        var target = Path.Combine(Path.GetTempPath(), "mr-tests", $"pg-backup-{Guid.NewGuid():N}");

        var refused = await Assert.ThrowsAsync<ConflictException>(() => app.Get<BackupService>().BackupAsync(target, Ct));

        Assert.Contains("pg_dump", refused.Message);
        Assert.False(Directory.Exists(target));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Two_dispatchers_over_one_database_send_each_delivery_exactly_once(DatabaseProvider provider)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var app = new RegistryApp { Database = provider };
        app.Settings["Registry:Webhooks:AllowPrivateNetworks"] = "true";
        app.Settings["Registry:Webhooks:PollSeconds"] = "3600"; // the app's own dispatcher stays asleep unless woken
        var admin = await app.CreateUserAsync(Roles.Admin);
        await app.Get<WebhookService>().CreateAsync(admin.Actor, new CreateWebhook(receiver.Url, [WebhookEvents.ModelCreated], null), Ct);
        for (var i = 0; i < 30; i++)
        {
            await app.RegisterModelAsync(admin, $"hooked-{i:D2}");
        }

        // A second instance's dispatcher: its own object, the same database.
        var first = app.Get<WebhookDispatcher>();
        var second = ActivatorUtilities.CreateInstance<WebhookDispatcher>(app.Services);
        var rounds = 0;
        while ((await Task.WhenAll(first.SendDueAsync(Ct), second.SendDueAsync(Ct))).Sum() > 0 && ++rounds < 20)
        {
        }

        var received = receiver.Requests.ToArray();
        Assert.Equal(30, received.Length);
        Assert.Equal(30, received.Select(r => r.Delivery).Distinct().Count());
    }

    private static async Task WaitUntilHealthyAsync(HttpClient client)
    {
        // Pooled connections broken by the cut are dropped on first use; a few probes may still see them.
        for (var i = 0; i < 50; i++)
        {
            if ((await client.GetAsync("/healthz", Ct)).StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            await Task.Delay(200, Ct);
        }

        Assert.Fail("The registry did not become healthy again after the database came back.");
    }
}
