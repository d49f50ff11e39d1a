using System.Net.Http.Json;
using System.Text.Json;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>The actor and entity filters of the full log, as Auditors use them.</summary>
public sealed class AuditFilterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Actor_filter_finds_a_users_events_by_id_or_by_name_and_entity_filter_by_type_or_id()
    {
        await using var app = new RegistryApp();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var other = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "mine");
        await app.CreateVersionAsync(ds, "mine");
        await app.RegisterModelAsync(other, "theirs");
        using var auditor = await app.ClientForAsync(await app.CreateUserAsync(Roles.Auditor));

        async Task<string[]> ActionsAsync(string query)
        {
            var page = await auditor.GetFromJsonAsync<JsonElement>($"/api/v1/audit?{query}", Ct);
            var actions = page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("action").GetString()!).ToArray();
            Assert.Equal(actions.Length, page.GetProperty("total").GetInt32());
            return actions;
        }

        string[] mine = [AuditActions.VersionCreated, AuditActions.ModelCreated];
        Assert.Equal(mine, await ActionsAsync($"actor={Uri.EscapeDataString(ds.Id)}"));
        Assert.Equal(mine, await ActionsAsync($"actor={Uri.EscapeDataString(ds.Email)}"));
        Assert.Empty(await ActionsAsync("actor=nobody%40example.com"));
        Assert.Equal([AuditActions.VersionCreated], await ActionsAsync("entity=version"));
        Assert.Equal([AuditActions.ModelCreated], await ActionsAsync("entity=model:theirs"));
        Assert.Equal([AuditActions.ModelCreated], await ActionsAsync($"actor={Uri.EscapeDataString(ds.Email)}&entity=model"));
    }
}
