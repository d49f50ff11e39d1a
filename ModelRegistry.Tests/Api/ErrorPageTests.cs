using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// A failure the code did not expect, outside Development: the dashboard shows a generic page with a request id,
/// the API a problem with a trace id; neither shows the exception's message or a stack trace.
/// </summary>
public sealed class ErrorPageTests : IAsyncLifetime
{
    private const string Secret = "connection string Password=hunter2";

    private readonly CapturedLogs _logs = new();
    private readonly RegistryApp _app;

    public ErrorPageTests() => _app = new RegistryApp
    {
        TestServices = services =>
        {
            services.AddSingleton<IStartupFilter, ThrowingEndpoints>();
            services.AddSingleton<ILoggerProvider>(_logs);
        },
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task A_dashboard_failure_shows_the_generic_error_page_with_a_request_id_and_no_details()
    {
        var user = await _app.CreateUserAsync();
        using var session = await CookieSession.SignInAsync(_app, user);

        using var response = await session.Client.GetAsync(ThrowingEndpoints.PagePath, Ct);
        var html = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Something went wrong", html);
        Assert.Matches("data-testid=\"request-id\">[^<]{8,}</code>", html);
        Assert.DoesNotContain("hunter2", html);
        Assert.DoesNotContain("InvalidOperationException", html);
        Assert.DoesNotContain(" at ModelRegistry", html);
    }

    [Fact]
    public async Task An_api_failure_is_a_problem_with_a_trace_id_and_no_details()
    {
        var user = await _app.CreateUserAsync(Roles.DataScientist);
        using var client = await _app.ClientForAsync(user);

        using var response = await client.GetAsync(ThrowingEndpoints.ApiPath, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal("Unexpected error", problem.GetProperty("title").GetString());
        Assert.Equal("The server could not complete the request.", problem.GetProperty("detail").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
        Assert.DoesNotContain("hunter2", body);
        Assert.DoesNotContain("InvalidOperationException", body);
        Assert.DoesNotContain(" at ", body);
    }

    [Fact]
    public async Task An_api_failure_is_logged_once_at_error_with_the_exception_and_the_trace_id_of_its_body()
    {
        var user = await _app.CreateUserAsync(Roles.DataScientist);
        using var client = await _app.ClientForAsync(user);

        using var response = await client.GetAsync(ThrowingEndpoints.ApiPath, Ct);
        var traceId = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("traceId").GetString()!;

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var errors = _logs.Entries.Where(e => e.Level >= LogLevel.Error).ToList();
        var entry = Assert.Single(errors);
        Assert.Contains(traceId, entry.Message);
        Assert.Contains(ThrowingEndpoints.ApiPath, entry.Message);
        Assert.IsType<InvalidOperationException>(entry.Exception);
    }

    [Fact]
    public async Task A_refused_api_request_is_not_logged_as_an_error()
    {
        var user = await _app.CreateUserAsync(Roles.DataScientist);
        using var client = await _app.ClientForAsync(user);

        using var response = await client.GetAsync("/api/v1/models/no-such-model", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain(_logs.Entries, e => e.Level >= LogLevel.Error);
    }

    /// <summary>
    /// Test-only paths that throw, behind the whole of the registry's pipeline (exception handler, authentication,
    /// authorization): middleware added after the app's own runs for requests no endpoint took.
    /// </summary>
    private sealed class ThrowingEndpoints : IStartupFilter
    {
        public const string PagePath = "/test-only/throws";
        public const string ApiPath = "/api/v1/test-only/throws";

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.Use((HttpContext context, RequestDelegate rest) =>
                context.Request.Path == PagePath || context.Request.Path == ApiPath
                    ? throw new InvalidOperationException($"Could not open the {Secret}.")
                    : rest(context));
        };
    }
}
