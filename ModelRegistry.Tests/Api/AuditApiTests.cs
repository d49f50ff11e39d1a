using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ModelRegistry.Core;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>The same registry on PostgreSQL.</summary>
public sealed class PostgresAuditApiFixture() : AuditApiFixture(new PostgresRegistryApp());

public class AuditApiFixture : IAsyncLifetime
{
    public AuditApiFixture() : this(new RegistryApp())
    {
    }

    protected AuditApiFixture(RegistryApp app) => App = app;

    public RegistryApp App { get; }
    public HttpClient Auditor { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var ds = await App.CreateUserAsync(Roles.DataScientist);
        await App.RegisterModelAsync(ds, "audited");
        await App.CreateVersionAsync(ds, "audited");
        await App.RegisterModelAsync(ds, "other-model");
        Auditor = await App.ClientForAsync(await App.CreateUserAsync(Roles.Auditor));
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

public sealed class AuditApiTests(AuditApiFixture fixture) : AuditApiTestsCases<AuditApiFixture>(fixture);

/// <summary>The same cases on PostgreSQL.</summary>
public sealed class AuditApiTestsOnPostgres(PostgresAuditApiFixture fixture) : AuditApiTestsCases<PostgresAuditApiFixture>(fixture);

public abstract class AuditApiTestsCases<TFixture>(TFixture fixture) : IClassFixture<TFixture> where TFixture : AuditApiFixture
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(Roles.Auditor, HttpStatusCode.OK)]
    [InlineData(Roles.Admin, HttpStatusCode.OK)]
    [InlineData(Roles.DataScientist, HttpStatusCode.Forbidden)]
    [InlineData(Roles.Reviewer, HttpStatusCode.Forbidden)]
    [InlineData(null, HttpStatusCode.Forbidden)]
    public async Task Only_auditors_and_admins_read_export_and_verify_the_log(string? role, HttpStatusCode expected)
    {
        var user = role is null ? await fixture.App.CreateUserAsync() : await fixture.App.CreateUserAsync(role);
        using var client = await fixture.App.ClientForAsync(user);

        foreach (var path in new[] { "/api/v1/audit", "/api/v1/audit/export?format=csv", "/api/v1/audit/export?format=json", "/api/v1/audit/verify" })
        {
            Assert.Equal(expected, (await client.GetAsync(path, Ct)).StatusCode);
        }
    }

    [Fact]
    public async Task Filters_by_model_and_action_page_newest_first()
    {
        var page = await fixture.Auditor.GetFromJsonAsync<JsonElement>("/api/v1/audit?model=audited&action=version.created", Ct);

        Assert.Equal(1, page.GetProperty("total").GetInt32());
        var item = page.GetProperty("items")[0];
        Assert.Equal("version.created", item.GetProperty("action").GetString());
        Assert.Equal("audited/1", item.GetProperty("entityId").GetString());

        var all = await fixture.Auditor.GetFromJsonAsync<JsonElement>("/api/v1/audit?pageSize=200", Ct);
        var sequences = all.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("sequence").GetInt64()).ToList();
        Assert.Equal(sequences.OrderDescending(), sequences);
    }

    [Theory]
    [InlineData("from=yesterday")]
    [InlineData("to=2026-13-45")]
    [InlineData("action=model.exploded")]
    [InlineData("from=2026-03-02&to=2026-03-01")]
    [InlineData("pageSize=0")]
    public async Task Malformed_filters_are_400(string query)
    {
        var response = await fixture.Auditor.GetAsync($"/api/v1/audit?{query}", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Json_export_can_be_reverified_outside_the_registry_with_the_documented_canonical_form()
    {
        var response = await fixture.Auditor.GetAsync("/api/v1/audit/export?format=json", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.EnumerateArray().ToList();
        Assert.True(events.Count >= 4);

        var previous = AuditChain.GenesisHash;
        foreach (var e in events)
        {
            var modelName = e.GetProperty("modelName").ValueKind == JsonValueKind.Null ? null : e.GetProperty("modelName").GetString();
            var hash = AuditChain.ComputeHash(e.GetProperty("sequence").GetInt64(),
                DateTimeOffset.Parse(e.GetProperty("time").GetString()!, CultureInfo.InvariantCulture),
                e.GetProperty("actorId").GetString()!, e.GetProperty("actorName").GetString()!, e.GetProperty("action").GetString()!,
                e.GetProperty("entityType").GetString()!, e.GetProperty("entityId").GetString()!, modelName,
                e.GetProperty("data").GetRawText(), previous);
            Assert.Equal(previous, e.GetProperty("previousHash").GetString());
            Assert.Equal(e.GetProperty("hash").GetString(), hash);
            previous = hash;
        }
    }

    [Fact]
    public async Task Csv_export_has_a_header_and_one_row_per_event()
    {
        var response = await fixture.Auditor.GetAsync("/api/v1/audit/export?format=csv&model=audited", Ct);
        var csv = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("sequence,time,actorId,actorName,action,entityType,entityId,modelName,data,previousHash,hash", lines[0]);
        Assert.Equal(2, lines.Length - 1); // model.created and version.created of "audited"
        Assert.Equal(HttpStatusCode.BadRequest, (await fixture.Auditor.GetAsync("/api/v1/audit/export?format=xml", Ct)).StatusCode);
    }

    [Fact]
    public async Task Verify_reports_the_chain_head()
    {
        var result = await fixture.Auditor.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify", Ct);

        Assert.True(result.GetProperty("valid").GetBoolean());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("firstBrokenSequence").ValueKind);
        Assert.Equal(64, result.GetProperty("headHash").GetString()!.Length);
    }

    [Fact]
    public async Task Verify_reports_the_head_as_sequence_and_hash_of_the_newest_event()
    {
        var result = await fixture.Auditor.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify", Ct);

        var newest = (await fixture.App.AuditEventsAsync()).Last(e => e.Sequence <= result.GetProperty("headSequence").GetInt64());
        var head = result.GetProperty("head");
        Assert.Equal(newest.Sequence, head.GetProperty("sequence").GetInt64());
        Assert.Equal(newest.Hash, head.GetProperty("hash").GetString());
        Assert.Equal(result.GetProperty("headHash").GetString(), head.GetProperty("hash").GetString());
        Assert.False(result.GetProperty("truncated").GetBoolean());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("expectedHead").ValueKind);
    }

    [Fact]
    public async Task Verify_against_a_head_the_log_still_holds_is_valid()
    {
        var first = await fixture.Auditor.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify", Ct);
        var head = $"{first.GetProperty("head").GetProperty("sequence").GetInt64()}:{first.GetProperty("head").GetProperty("hash").GetString()}";

        var result = await fixture.Auditor.GetFromJsonAsync<JsonElement>($"/api/v1/audit/verify?head={head}", Ct);

        Assert.True(result.GetProperty("valid").GetBoolean());
        Assert.False(result.GetProperty("truncated").GetBoolean());
        Assert.Equal("present", result.GetProperty("expectedHead").GetProperty("status").GetString());
        Assert.Equal(head, $"{result.GetProperty("expectedHead").GetProperty("sequence").GetInt64()}:{result.GetProperty("expectedHead").GetProperty("hash").GetString()}");
    }

    [Fact]
    public async Task Verify_against_a_head_with_another_hash_is_invalid_and_says_the_head_differs()
    {
        var first = await fixture.Auditor.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify", Ct);
        var sequence = first.GetProperty("head").GetProperty("sequence").GetInt64();

        var result = await fixture.Auditor.GetFromJsonAsync<JsonElement>($"/api/v1/audit/verify?head={sequence}:{new string('a', 64)}", Ct);

        Assert.False(result.GetProperty("valid").GetBoolean());
        Assert.False(result.GetProperty("truncated").GetBoolean());
        Assert.Equal("different", result.GetProperty("expectedHead").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Verify_reports_truncation_when_the_newest_events_were_deleted_in_the_database()
    {
        await using var app = fixture.App.Database == DatabaseProvider.Postgres ? new PostgresRegistryApp() : new RegistryApp();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "cut-short");
        await app.CreateVersionAsync(ds, "cut-short");
        using var auditor = await app.ClientForAsync(await app.CreateUserAsync(Roles.Auditor));
        var kept = (await auditor.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify", Ct)).GetProperty("head");
        var keptHead = $"{kept.GetProperty("sequence").GetInt64()}:{kept.GetProperty("hash").GetString()}";
        await app.ExecuteSqlAsync(app.Database == DatabaseProvider.Postgres
            ? "DROP TRIGGER \"AuditEvents_NoDelete\" ON \"AuditEvents\";"
            : "DROP TRIGGER AuditEvents_NoDelete;");
        Assert.Equal(2, await app.ExecuteSqlAsync($"DELETE FROM \"AuditEvents\" WHERE \"Sequence\" > {kept.GetProperty("sequence").GetInt64() - 2}"));

        var alone = await auditor.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify", Ct);
        var against = await auditor.GetFromJsonAsync<JsonElement>($"/api/v1/audit/verify?head={keptHead}", Ct);

        Assert.True(alone.GetProperty("valid").GetBoolean());
        Assert.False(against.GetProperty("valid").GetBoolean());
        Assert.True(against.GetProperty("truncated").GetBoolean());
        Assert.Equal("missing", against.GetProperty("expectedHead").GetProperty("status").GetString());
        Assert.Equal(kept.GetProperty("sequence").GetInt64() - 2, against.GetProperty("head").GetProperty("sequence").GetInt64());
    }

    [Theory]
    [InlineData("")]
    [InlineData("12")]
    [InlineData("abc:def")]
    [InlineData(":0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("-1:0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("1:000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("1:zz00000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("1:0000000000000000000000000000000000000000000000000000000000000000:1")]
    [InlineData("99999999999999999999:0000000000000000000000000000000000000000000000000000000000000000")]
    public async Task Verify_with_a_malformed_head_is_400_naming_head(string head)
    {
        var response = await fixture.Auditor.GetAsync($"/api/v1/audit/verify?head={Uri.EscapeDataString(head)}", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty("head", out _), "errors should name head");
    }

    [Fact]
    public async Task Free_text_search_is_a_case_insensitive_substring_whatever_its_length_and_characters()
    {
        var marker = "Zq" + Guid.NewGuid().ToString("N")[..8];
        var ds = await fixture.App.CreateUserAsync(Roles.DataScientist);
        var literal = await RegisterAsync(ds, $"Needle-{marker} 100% off_sale");
        var lookalike = await RegisterAsync(ds, $"Needle-{marker} 100x offXsale");

        // Three characters or more (the trigram index on SQLite), any case.
        Assert.Equal([lookalike, literal], await SearchAsync(marker.ToUpperInvariant()));
        Assert.Equal([lookalike, literal], await SearchAsync($"needle-{marker.ToLowerInvariant()}"));
        // % and _ are literal characters, never wildcards (as wildcards they would match the look-alike too).
        Assert.Equal([literal], await SearchAsync($"{marker} 100% off_sale"));
        Assert.Empty(await SearchAsync($"{marker}%sale"));
        Assert.Empty(await SearchAsync($"{marker}_"));
        // Quotes cannot break out of the search (FTS5 query syntax on SQLite, SQL on both).
        Assert.Empty(await SearchAsync($"{marker}\" OR \"Needle"));
        Assert.Empty(await SearchAsync($"{marker}' OR '1'='1"));
        Assert.Empty(await SearchAsync($"\"{marker}\""));
        // One or two characters (a scan): still a literal, case-insensitive substring.
        var percent = await SearchAsync("%");
        Assert.Contains(literal, percent);
        Assert.DoesNotContain(lookalike, percent);
        Assert.Contains(literal, await SearchAsync("zQ"));
        // The actor's name is searched too.
        var byActor = await SearchAsync(ds.Email.ToUpperInvariant());
        Assert.Contains(literal, byActor);
        Assert.Contains(lookalike, byActor);
    }

    [Fact]
    public async Task A_broad_filter_counts_up_to_the_limit_says_so_and_still_pages_newest_first_and_count_exact_counts_all()
    {
        // More events for one model, each carrying one marker text, than a page counts.
        var extra = 30;
        var events = AuditLogService.CountLimit + extra;
        var model = "bulk-" + Guid.NewGuid().ToString("N")[..10];
        var marker = "Bulk-" + Guid.NewGuid().ToString("N")[..12];
        await fixture.App.RecordEventsAsync((await fixture.App.CreateUserAsync(Roles.DataScientist)).Actor, model, marker, events);

        foreach (var filter in new[] { $"model={model}", $"q={marker}", $"q={marker}&model={model}" })
        {
            var first = await PageAsync($"{filter}&pageSize=50");
            Assert.Equal(AuditLogService.CountLimit, first.Total);
            Assert.False(first.Exact, filter);
            Assert.Equal(50, first.Sequences.Count);
            Assert.Equal(first.Sequences.OrderDescending(), first.Sequences);
            Assert.Equal($"{marker} revision {events - 1}", first.Notes[0]);

            // Page 3 follows page 2 with no gap or overlap, whichever way the filter is answered.
            var second = await PageAsync($"{filter}&pageSize=50&page=2");
            var third = await PageAsync($"{filter}&pageSize=50&page=3");
            Assert.Equal(first.Sequences[^1] - 1, second.Sequences[0]);
            Assert.Equal(second.Sequences[^1] - 1, third.Sequences[0]);

            // A page past the limit counts as far as it reaches: the last page knows the exact total again.
            var last = await PageAsync($"{filter}&pageSize=50&page={AuditLogService.CountLimit / 50 + 1}");
            Assert.Equal(events, last.Total);
            Assert.True(last.Exact, filter);
            Assert.Equal(extra, last.Sequences.Count);
            Assert.Equal($"{marker} revision 0", last.Notes[^1]);

            var exact = await PageAsync($"{filter}&count=exact");
            Assert.Equal(events, exact.Total);
            Assert.True(exact.Exact, filter);
            Assert.Equal(first.Sequences, exact.Sequences);
        }

        // A filter matching fewer than the limit is counted exactly, as before.
        var few = await PageAsync($"q={Uri.EscapeDataString($"{marker} revision 1000")}");
        Assert.Equal(1, few.Total);
        Assert.True(few.Exact);

        var bad = await fixture.Auditor.GetAsync($"/api/v1/audit?model={model}&count=all", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("count", await bad.Content.ReadAsStringAsync(Ct));
    }

    private async Task<(int Total, bool Exact, List<long> Sequences, List<string> Notes)> PageAsync(string query)
    {
        var page = await fixture.Auditor.GetFromJsonAsync<JsonElement>($"/api/v1/audit?{query}", Ct);
        var items = page.GetProperty("items").EnumerateArray().ToList();
        return (page.GetProperty("total").GetInt32(), page.GetProperty("totalIsExact").GetBoolean(),
            items.Select(i => i.GetProperty("sequence").GetInt64()).ToList(),
            items.Select(i => JsonDocument.Parse(i.GetProperty("data").GetString()!).RootElement.GetProperty("note").GetString()!).ToList());
    }

    private async Task<long> RegisterAsync(TestUser by, string description)
    {
        var name = "search-" + Guid.NewGuid().ToString("N")[..10];
        await fixture.App.RegisterModelAsync(by, name, description: description);
        var page = await fixture.Auditor.GetFromJsonAsync<JsonElement>($"/api/v1/audit?model={name}", Ct);
        return page.GetProperty("items")[0].GetProperty("sequence").GetInt64();
    }

    /// <summary>The sequences an Auditor finds for <paramref name="text"/>, newest first; the page's total must agree.</summary>
    private async Task<List<long>> SearchAsync(string text)
    {
        var page = await fixture.Auditor.GetFromJsonAsync<JsonElement>($"/api/v1/audit?q={Uri.EscapeDataString(text)}&pageSize=200", Ct);
        var sequences = page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("sequence").GetInt64()).ToList();
        Assert.Equal(sequences.Count, page.GetProperty("total").GetInt32());
        Assert.True(page.GetProperty("totalIsExact").GetBoolean());
        return sequences;
    }
}
