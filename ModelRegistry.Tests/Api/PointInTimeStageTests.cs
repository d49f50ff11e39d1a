using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ModelRegistry.Core;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>"Which version was in Production on 1 March?" — <c>GET …/stages/{stage}?at=</c>.</summary>
public sealed class PointInTimeStageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Stage_holder_at_a_past_moment_comes_from_the_stage_history(DatabaseProvider provider)
    {
        await using var app = new RegistryApp { Database = provider };
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        await app.ModelWithVersionsAsync(ds, "history", 2);
        using var client = await app.ClientForAsync(ds);

        var beforeAnything = DateTimeOffset.UtcNow;
        await Task.Delay(50, Ct);
        await app.PromoteAsync(ds, reviewer, "history", 1, Stage.Production);
        await Task.Delay(50, Ct);
        var whileV1 = DateTimeOffset.UtcNow;
        await Task.Delay(50, Ct);
        await app.PromoteAsync(ds, reviewer, "history", 2, Stage.Production);

        async Task<HttpResponseMessage> At(DateTimeOffset t) =>
            await client.GetAsync($"/api/v1/models/history/stages/Production?at={Uri.EscapeDataString(t.ToString("O"))}", Ct);

        Assert.Equal(1, (await (await At(whileV1)).Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("number").GetInt32());
        Assert.Equal(2, (await client.GetFromJsonAsync<JsonElement>("/api/v1/models/history/stages/Production", Ct)).GetProperty("number").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await At(beforeAnything)).StatusCode);
        var archivedThen = await client.GetFromJsonAsync<JsonElement>(
            $"/api/v1/models/history/stages/Archived?at={Uri.EscapeDataString(DateTimeOffset.UtcNow.ToString("O"))}", Ct);
        Assert.Equal(1, archivedThen.GetProperty("number").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/v1/models/history/stages/Production?at=last-tuesday", Ct)).StatusCode);
    }
}
