using System.Globalization;
using System.Net;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

public sealed class RateLimitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Flood_of_bad_tokens_gets_429_with_retry_after_not_503()
    {
        await using var app = new RegistryApp();
        app.Settings["Registry:RateLimits:AnonymousApiPerMinute"] = "5";
        await app.InitializeAsync();
        using var client = app.AnonymousClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", "mr_not-a-real-token");

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 8; i++)
        {
            last = await client.GetAsync("/api/v1/models", Ct);
            statuses.Add(last.StatusCode);
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, 5), statuses.Take(5));
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 3), statuses.Skip(5));
        Assert.True(int.Parse(last!.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture) > 0);
        Assert.Equal("application/problem+json", last.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Each_user_has_their_own_api_budget()
    {
        await using var app = new RegistryApp();
        app.Settings["Registry:RateLimits:ApiPerMinute"] = "3";
        var first = await app.ClientForAsync(await app.CreateUserAsync(Roles.DataScientist));
        var second = await app.ClientForAsync(await app.CreateUserAsync(Roles.DataScientist));

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await first.GetAsync("/api/v1/models", Ct)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await first.GetAsync("/api/v1/models", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await second.GetAsync("/api/v1/models", Ct)).StatusCode);
    }

    [Fact]
    public async Task Flood_of_password_attempts_gets_429()
    {
        await using var app = new RegistryApp();
        app.Settings["Registry:RateLimits:SignInPerMinute"] = "3";
        await app.InitializeAsync();
        using var client = app.AnonymousClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["Input.Email"] = "x@example.com", ["Input.Password"] = "wrong" });
            statuses.Add((await client.PostAsync("/Account/Login", form, Ct)).StatusCode);
        }

        Assert.DoesNotContain(HttpStatusCode.TooManyRequests, statuses.Take(3));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[4]);
    }
}
