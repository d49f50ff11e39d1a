using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary><c>GET/POST …/metrics</c>: what is recorded, what is refused, and who may.</summary>
public sealed class MetricsApiTests(CardApiFixture fixture) : IClassFixture<CardApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Url = $"/api/v1/models/{CardApiFixture.Model}/versions/2/metrics";

    private static StringContent Json(string raw) => new(raw, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Posted_results_are_recorded_with_source_api_and_listed()
    {
        var post = await fixture.ClientFor(Roles.DataScientist).PostAsync(Url, Json("""
            [{"name":"exact_match","value":0.54,"dataset":"support-eval","split":"test","unit":"%"},
             {"name":"p95 latency","value":840,"higherIsBetter":false,"unit":"ms"}]
            """), Ct);

        Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        Assert.Equal(2, (await post.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetArrayLength());
        var list = await fixture.ClientFor(Roles.Viewer).GetFromJsonAsync<JsonElement>(Url, Ct);
        var em = list.EnumerateArray().First(m => m.GetProperty("name").GetString() == "exact_match");
        Assert.Equal(0.54, em.GetProperty("value").GetDouble());
        Assert.Equal("support-eval", em.GetProperty("dataset").GetString());
        Assert.Equal("api", em.GetProperty("source").GetString());
        Assert.True(em.GetProperty("higherIsBetter").GetBoolean());
        Assert.False(em.TryGetProperty("key", out _) && em.GetProperty("key").ValueKind == JsonValueKind.Undefined);

        var chart = await fixture.ClientFor(Roles.Viewer).GetFromJsonAsync<JsonElement>($"/api/v1/models/{CardApiFixture.Model}/metrics", Ct);
        Assert.Contains(chart.GetProperty("series").EnumerateArray(), s => s.GetProperty("label").GetString() == "exact_match · support-eval (test)");
    }

    [Theory]
    [InlineData("""[{"name":"","value":1}]""", "name")]
    [InlineData("""[{"name":"   ","value":1}]""", "name")]
    [InlineData("""[{"value":1}]""", "name")]
    [InlineData("""[{"name":"accuracy"}]""", "value")]
    [InlineData("""[{"name":"accuracy","value":null}]""", "value")]
    [InlineData("""[{"name":"accuracy","value":"abc"}]""", null)]
    [InlineData("""[{"name":"accuracy","value":"NaN"}]""", null)]
    [InlineData("""[{"name":"accuracy","value":"Infinity"}]""", null)]
    [InlineData("""[{"name":"accuracy","value":"-Infinity"}]""", null)]
    [InlineData("""[{"name":"accuracy","value":1e999}]""", null)]
    [InlineData("""[{"name":"accuracy","value":NaN}]""", null)]
    [InlineData("""[{"name":"accuracy","value":true}]""", null)]
    [InlineData("""[]""", "metrics")]
    [InlineData("""{"name":"accuracy","value":1}""", null)]
    [InlineData("""not json""", null)]
    public async Task Bad_results_are_400_and_nothing_is_recorded(string body, string? field)
    {
        var before = await fixture.App.LastAuditSequenceAsync();

        var response = await fixture.ClientFor(Roles.DataScientist).PostAsync(Url, Json(body), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (field is not null)
        {
            Assert.Contains(field, await response.Content.ReadAsStringAsync(Ct));
        }

        Assert.Empty(await fixture.App.AuditEventsAsync(before));
    }

    [Theory]
    [InlineData(Roles.Viewer)]
    [InlineData(Roles.Reviewer)]
    [InlineData(Roles.Auditor)]
    public async Task Viewer_reviewer_and_auditor_may_not_record_results(string role)
    {
        var before = await fixture.App.LastAuditSequenceAsync();

        var response = await fixture.ClientFor(role).PostAsync(Url, Json("""[{"name":"accuracy","value":0.99}]"""), Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(await fixture.App.AuditEventsAsync(before));
    }

    [Fact]
    public async Task Admin_may_record_results()
    {
        var response = await fixture.ClientFor(Roles.Admin).PostAsync(Url, Json("""[{"name":"accuracy","value":0.9}]"""), Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Unknown_version_is_404()
    {
        var response = await fixture.ClientFor(Roles.DataScientist).PostAsync($"/api/v1/models/{CardApiFixture.Model}/versions/42/metrics",
            Json("""[{"name":"accuracy","value":0.9}]"""), Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_result_is_corrected_with_put_and_removed_with_delete_and_a_viewer_may_do_neither()
    {
        var ds = fixture.ClientFor(Roles.DataScientist);
        var post = await ds.PostAsync(Url, Json("""[{"name":"typo_metric","value":0.12}]"""), Ct);
        var id = (await post.Content.ReadFromJsonAsync<JsonElement>(Ct))[0].GetProperty("id").GetInt64();

        var viewerPut = await fixture.ClientFor(Roles.Viewer).PutAsync($"{Url}/{id}", Json("""{"name":"typo_metric","value":0.21}"""), Ct);
        var put = await ds.PutAsync($"{Url}/{id}", Json("""{"name":"fixed_metric","value":0.21,"dataset":"support-eval"}"""), Ct);

        Assert.Equal(HttpStatusCode.Forbidden, viewerPut.StatusCode);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var corrected = await put.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(("fixed_metric", 0.21), (corrected.GetProperty("name").GetString(), corrected.GetProperty("value").GetDouble()));
        Assert.Equal(HttpStatusCode.NotFound, (await ds.DeleteAsync($"{Url}/999999999", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await ds.DeleteAsync($"{Url}/{id}", Ct)).StatusCode);
        var list = await ds.GetFromJsonAsync<JsonElement>(Url, Ct);
        Assert.DoesNotContain(list.EnumerateArray(), m => m.GetProperty("id").GetInt64() == id);
    }
}
