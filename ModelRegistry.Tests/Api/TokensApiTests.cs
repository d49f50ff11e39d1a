using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>A registry whose clock the tests move.</summary>
public sealed class TokensFixture : IAsyncDisposable
{
    public ManualClock Clock { get; } = new();

    public RegistryApp App { get; }

    public TokensFixture() => App = new RegistryApp { Clock = Clock };

    public ValueTask DisposeAsync() => App.DisposeAsync();
}

/// <summary>/api/v1/tokens: make, list, revoke; a token acts with its owner's roles as they are now.</summary>
public sealed class TokensApiTests(TokensFixture fixture) : IClassFixture<TokensFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private RegistryApp App => fixture.App;

    private HttpClient ClientWith(string token)
    {
        var client = App.AnonymousClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<(string Token, long Id)> MakeTokenAsync(HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/api/v1/tokens", body, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var id = json.GetProperty("info").GetProperty("id").GetInt64();
        Assert.Equal($"/api/v1/tokens/{id}", response.Headers.Location?.OriginalString);
        return (json.GetProperty("token").GetString()!, id);
    }

    private static Task<HttpResponseMessage> RegisterAsync(HttpClient client, string name) =>
        client.PostAsJsonAsync("/api/v1/models", new { name }, Ct);

    [Fact]
    public async Task New_token_is_shown_once_works_and_is_listed_without_its_secret()
    {
        var user = await App.CreateUserAsync(Roles.DataScientist);
        using var client = await App.ClientForAsync(user);

        var (token, id) = await MakeTokenAsync(client, new { name = "ci-training", expiresInDays = 30 });

        Assert.Matches("^mr_[A-Za-z0-9_-]{43}$", token);
        using var tokenClient = ClientWith(token);
        Assert.Equal(HttpStatusCode.OK, (await tokenClient.GetAsync("/api/v1/models", Ct)).StatusCode);

        var listResponse = await client.GetAsync("/api/v1/tokens", Ct);
        var raw = await listResponse.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain(token, raw);
        var listed = JsonDocument.Parse(raw).RootElement.EnumerateArray().Single(t => t.GetProperty("id").GetInt64() == id);
        Assert.Equal("ci-training", listed.GetProperty("name").GetString());
        Assert.Equal(token[..10], listed.GetProperty("prefix").GetString());
        Assert.True(listed.GetProperty("isActive").GetBoolean());
        Assert.Equal(user.Email, listed.GetProperty("ownerEmail").GetString());
        var expires = listed.GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expires - fixture.Clock.GetUtcNow(), TimeSpan.FromDays(29.9), TimeSpan.FromDays(30.1));
    }

    [Fact]
    public async Task Token_list_shows_only_the_callers_own_tokens()
    {
        var alice = await App.CreateUserAsync();
        var bob = await App.CreateUserAsync(Roles.Admin);
        using var aliceClient = await App.ClientForAsync(alice);
        using var bobClient = await App.ClientForAsync(bob);
        await MakeTokenAsync(bobClient, new { name = "bobs-secret-pipeline" });

        var aliceTokens = await aliceClient.GetFromJsonAsync<JsonElement>("/api/v1/tokens", Ct);

        Assert.All(aliceTokens.EnumerateArray(), t => Assert.Equal(alice.Email, t.GetProperty("ownerEmail").GetString()));
        Assert.DoesNotContain(aliceTokens.EnumerateArray(), t => t.GetProperty("name").GetString() == "bobs-secret-pipeline");
    }

    [Fact]
    public async Task Token_acts_with_the_owners_current_roles()
    {
        var admin = await App.CreateUserAsync(Roles.Admin);
        var user = await App.CreateUserAsync();
        using var client = await App.ClientForAsync(user);
        var users = App.Get<UserAdminService>();

        Assert.Equal(HttpStatusCode.Forbidden, (await RegisterAsync(client, "tok-as-viewer")).StatusCode);

        await users.GrantRoleAsync(admin.Actor, user.Id, Roles.DataScientist, Ct);
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(client, "tok-as-data-scientist")).StatusCode);

        await users.RevokeRoleAsync(admin.Actor, user.Id, Roles.DataScientist, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, (await RegisterAsync(client, "tok-after-demotion")).StatusCode);
    }

    [Fact]
    public async Task Token_of_a_locked_user_is_401_until_unlocked()
    {
        var admin = await App.CreateUserAsync(Roles.Admin);
        var user = await App.CreateUserAsync(Roles.DataScientist);
        using var client = await App.ClientForAsync(user);
        var users = App.Get<UserAdminService>();

        await users.LockAsync(admin.Actor, user.Id, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/models", Ct)).StatusCode);

        await users.UnlockAsync(admin.Actor, user.Id, Ct);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/models", Ct)).StatusCode);
    }

    [Fact]
    public async Task Admin_lists_every_users_tokens_and_others_may_not()
    {
        var owner = await App.CreateUserAsync(Roles.DataScientist);
        using var ownerClient = await App.ClientForAsync(owner);
        using var adminClient = await App.ClientForAsync(await App.CreateUserAsync(Roles.Admin));

        var all = await adminClient.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/tokens?all=true", Ct);
        Assert.Contains(all.EnumerateArray(), t => t.GetProperty("ownerEmail").GetString() == owner.Email);
        Assert.Equal(HttpStatusCode.Forbidden, (await ownerClient.GetAsync("/api/v1/tokens?all=true", Ct)).StatusCode);
    }

    [Fact]
    public async Task Failed_sign_in_lockout_does_not_stop_the_accounts_tokens()
    {
        var user = await App.CreateUserAsync(Roles.DataScientist);
        using var client = await App.ClientForAsync(user);
        await using (var scope = App.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<ApplicationUser>>();
            var entity = await users.FindByIdAsync(user.Id);
            for (var i = 0; i < 5; i++)
            {
                await users.AccessFailedAsync(entity!);
            }

            Assert.True(await users.IsLockedOutAsync(entity!));
        }

        // Someone guessing the password locks password sign-in only; the pipeline's token keeps working.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/models", Ct)).StatusCode);
    }

    [Fact]
    public async Task Revoking_a_token_makes_it_401_immediately()
    {
        var user = await App.CreateUserAsync(Roles.DataScientist);
        using var client = await App.ClientForAsync(user);
        var (token, id) = await MakeTokenAsync(client, new { name = "to-revoke" });
        using var tokenClient = ClientWith(token);
        Assert.Equal(HttpStatusCode.OK, (await tokenClient.GetAsync("/api/v1/models", Ct)).StatusCode);

        var revoke = await client.DeleteAsync($"/api/v1/tokens/{id}", Ct);

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await tokenClient.GetAsync("/api/v1/models", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RegisterAsync(tokenClient, "tok-after-revocation")).StatusCode);
        var listed = (await client.GetFromJsonAsync<JsonElement>("/api/v1/tokens", Ct)).EnumerateArray()
            .Single(t => t.GetProperty("id").GetInt64() == id);
        Assert.False(listed.GetProperty("isActive").GetBoolean());
        Assert.NotEqual(JsonValueKind.Null, listed.GetProperty("revokedAt").ValueKind);
    }

    [Fact]
    public async Task Token_can_revoke_itself()
    {
        var user = await App.CreateUserAsync();
        using var client = await App.ClientForAsync(user);
        var (token, id) = await MakeTokenAsync(client, new { name = "self-revoking" });
        using var tokenClient = ClientWith(token);

        Assert.Equal(HttpStatusCode.NoContent, (await tokenClient.DeleteAsync($"/api/v1/tokens/{id}", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await tokenClient.GetAsync("/api/v1/tokens", Ct)).StatusCode);
    }

    [Fact]
    public async Task Revoking_someone_elses_token_is_404_unless_admin_so_ids_cannot_be_probed()
    {
        var owner = await App.CreateUserAsync(Roles.DataScientist);
        var other = await App.CreateUserAsync(Roles.Reviewer);
        var admin = await App.CreateUserAsync(Roles.Admin);
        using var ownerClient = await App.ClientForAsync(owner);
        using var otherClient = await App.ClientForAsync(other);
        using var adminClient = await App.ClientForAsync(admin);
        var (token, id) = await MakeTokenAsync(ownerClient, new { name = "owned" });
        using var tokenClient = ClientWith(token);

        Assert.Equal(HttpStatusCode.NotFound, (await otherClient.DeleteAsync($"/api/v1/tokens/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await tokenClient.GetAsync("/api/v1/models", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await adminClient.DeleteAsync($"/api/v1/tokens/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await tokenClient.GetAsync("/api/v1/models", Ct)).StatusCode);
    }

    [Fact]
    public async Task Revoking_an_unknown_token_is_404()
    {
        using var client = await App.ClientForAsync(await App.CreateUserAsync());

        var response = await client.DeleteAsync("/api/v1/tokens/987654321", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Revoking_twice_is_harmless_and_recorded_once()
    {
        var user = await App.CreateUserAsync();
        using var client = await App.ClientForAsync(user);
        var (_, id) = await MakeTokenAsync(client, new { name = "revoke-twice" });
        var before = await App.LastAuditSequenceAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/tokens/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/tokens/{id}", Ct)).StatusCode);

        var recorded = await App.AuditEventsAsync(before);
        Assert.Equal(AuditActions.TokenRevoked, Assert.Single(recorded).Action);
    }

    [Fact]
    public async Task Expired_token_is_401()
    {
        var user = await App.CreateUserAsync(Roles.DataScientist);
        using var client = await App.ClientForAsync(user);
        var (token, id) = await MakeTokenAsync(client, new { name = "one-day", expiresInDays = 1 });
        using var tokenClient = ClientWith(token);

        fixture.Clock.Advance(TimeSpan.FromHours(23));
        Assert.Equal(HttpStatusCode.OK, (await tokenClient.GetAsync("/api/v1/models", Ct)).StatusCode);

        fixture.Clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(HttpStatusCode.Unauthorized, (await tokenClient.GetAsync("/api/v1/models", Ct)).StatusCode);
        var listed = (await client.GetFromJsonAsync<JsonElement>("/api/v1/tokens", Ct)).EnumerateArray()
            .Single(t => t.GetProperty("id").GetInt64() == id);
        Assert.False(listed.GetProperty("isActive").GetBoolean());
    }

    [Theory]
    [InlineData("{\"name\": \"\"}", "name")]
    [InlineData("{\"name\": \"   \"}", "name")]
    [InlineData("{\"name\": \"x\", \"expiresInDays\": 0}", "expiresInDays")]
    [InlineData("{\"name\": \"x\", \"expiresInDays\": -5}", "expiresInDays")]
    [InlineData("{\"name\": \"x\", \"expiresInDays\": 3651}", "expiresInDays")]
    public async Task Bad_token_request_is_400_and_makes_no_token(string body, string field)
    {
        var user = await App.CreateUserAsync();
        using var client = await App.ClientForAsync(user);
        var before = await App.StateAsync();

        var response = await client.PostAsync("/api/v1/tokens", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
        Assert.Equal(before, await App.StateAsync());
    }

    [Fact]
    public async Task Token_name_is_required()
    {
        using var client = await App.ClientForAsync(await App.CreateUserAsync());

        var response = await client.PostAsJsonAsync("/api/v1/tokens", new { expiresInDays = 5 }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
