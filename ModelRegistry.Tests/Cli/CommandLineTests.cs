using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Cli;

[CollectionDefinition(Name)]
public sealed class CommandLineCollection
{
    public const string Name = "Command line";
}

/// <summary>
/// One data directory for the class. The command line writes to it as a child process; a registry app on the
/// same directory (as a running server would be) checks what a user would then see.
/// </summary>
public sealed class CommandLineFixture : IAsyncDisposable
{
    private RegistryApp? _app;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "mr-tests", $"cli-{Guid.NewGuid():N}");

    /// <summary>The registry serving the same data directory.</summary>
    public RegistryApp App => _app ??= new RegistryApp { DataDirectory = DataDirectory };

    public Task<CliResult> RunAsync(params string[] args) => RegistryCli.RunAsync(DataDirectory, args);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync(); // Deletes the data directory too.
        }
        else if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}

[Collection(CommandLineCollection.Name)]
public sealed class CommandLineTests(CommandLineFixture fixture) : IClassFixture<CommandLineFixture>
{
    private const string Password = "a-long-enough-password";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewEmail() => $"{Guid.NewGuid():N}"[..12] + "@example.com";

    private async Task<UserInfo?> FindUserAsync(string email)
    {
        await fixture.App.InitializeAsync();
        var users = await fixture.App.Get<UserAdminService>().ListAsync(Actor.CommandLine, Ct);
        return users.SingleOrDefault(u => string.Equals(u.Email, email, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Setup through the running registry: only the verb under test runs as a child process.</summary>
    private async Task CreateUserAsync(string email, params string[] roles)
    {
        await fixture.App.InitializeAsync();
        await fixture.App.Get<UserAdminService>().CreateAsync(Actor.CommandLine, email, Password, null, roles, Ct);
    }

    [Fact]
    public async Task Users_create_on_an_empty_data_directory_creates_the_registry_there()
    {
        var directory = Path.Combine(Path.GetTempPath(), "mr-tests", $"cli-empty-{Guid.NewGuid():N}");
        try
        {
            var result = await RegistryCli.RunAsync(directory, "users", "create", "--email", "first@example.com", "--password", Password,
                "--role", "Admin");

            Assert.Equal(0, result.ExitCode);
            Assert.True(File.Exists(Path.Combine(directory, "registry.db")), "the database should be in the configured directory");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Users_create_makes_a_user_who_can_sign_in_with_the_given_roles()
    {
        var email = NewEmail();

        var result = await fixture.RunAsync("users", "create", "--email", email, "--password", Password,
            "--role", "DataScientist", "--role", "reviewer", "--name", "Dana Scientist");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        Assert.Contains($"Created {email} with roles: DataScientist, Reviewer", result.StandardError);
        var user = await FindUserAsync(email);
        Assert.NotNull(user);
        Assert.Equal([Roles.DataScientist, Roles.Reviewer], user.Roles);
        Assert.Equal("Dana Scientist", user.DisplayName);
        Assert.False(user.IsLocked);
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var account = await manager.FindByEmailAsync(email);
        Assert.True(await manager.CheckPasswordAsync(account!, Password));
        Assert.True(account!.EmailConfirmed, "users made by the operator need no e-mail confirmation");
    }

    [Fact]
    public async Task Users_create_is_recorded_as_done_by_the_command_line()
    {
        var email = NewEmail();
        Assert.Equal(0, (await fixture.RunAsync("users", "create", "--email", email, "--password", Password, "--role", "Auditor")).ExitCode);

        var user = await FindUserAsync(email);
        var events = await fixture.App.AuditEventsAsync();

        var created = Assert.Single(events, e => e.Action == AuditActions.UserCreated && e.EntityId == user!.Id);
        Assert.Equal(Actor.CommandLine.UserId, created.ActorId);
        Assert.DoesNotContain(Password, created.Data);
        Assert.Null(AuditChain.FindFirstBreak(events));
    }

    [Fact]
    public async Task Users_create_without_a_role_makes_a_viewer()
    {
        var email = NewEmail();

        var result = await fixture.RunAsync("users", "create", "--email", email, "--password", Password);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Viewer only", result.StandardError);
        Assert.Empty((await FindUserAsync(email))!.Roles);
    }

    [Theory]
    [InlineData("--role", "Superuser")]
    [InlineData("--role", "Viewer")]
    [InlineData("--password", "short")]
    public async Task Users_create_with_bad_input_exits_2_and_creates_nobody(string option, string value)
    {
        var email = NewEmail();
        string[] args = option == "--password"
            ? ["users", "create", "--email", email, "--password", value]
            : ["users", "create", "--email", email, "--password", Password, option, value];

        var result = await fixture.RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        Assert.StartsWith("error: ", result.StandardError.TrimStart());
        Assert.Null(await FindUserAsync(email));
    }

    [Fact]
    public async Task Users_create_with_a_taken_email_fails_and_keeps_the_first_account()
    {
        var email = NewEmail();
        await CreateUserAsync(email, "Reviewer");

        var result = await fixture.RunAsync("users", "create", "--email", email.ToUpperInvariant(), "--password", "another-password-x",
            "--role", "Admin");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("already exists", result.StandardError);
        Assert.Equal([Roles.Reviewer], (await FindUserAsync(email))!.Roles);
    }

    [Fact]
    public async Task Users_grant_adds_the_role_and_keeps_the_others()
    {
        var email = NewEmail();
        await CreateUserAsync(email, "DataScientist");

        var result = await fixture.RunAsync("users", "grant", "--email", email.ToUpperInvariant(), "--role", "auditor");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        Assert.Contains($"{email} now has roles: Auditor, DataScientist", result.StandardError);
        Assert.Equal([Roles.Auditor, Roles.DataScientist], (await FindUserAsync(email))!.Roles);
    }

    [Fact]
    public async Task Users_grant_takes_effect_on_a_running_server_at_once()
    {
        var email = NewEmail();
        await CreateUserAsync(email);
        var user = await FindUserAsync(email);
        var token = await fixture.App.Get<TokenService>().CreateAsync(Actor.CommandLine, user!.Id, "before grant", null, Ct);
        using var client = fixture.App.AnonymousClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        var name = $"cli-grant-{Guid.NewGuid():N}"[..20];
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/v1/models", new { name }, Ct)).StatusCode);

        var result = await fixture.RunAsync("users", "grant", "--email", email, "--role", "DataScientist");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/v1/models", new { name }, Ct)).StatusCode);
    }

    [Fact]
    public async Task Users_grant_for_an_unknown_email_exits_1_with_the_error_on_stderr()
    {
        var result = await fixture.RunAsync("users", "grant", "--email", "nobody-here@example.com", "--role", "Admin");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        Assert.Contains("nobody-here@example.com", result.StandardError);
    }

    [Fact]
    public async Task Tokens_create_prints_the_token_alone_on_stdout_and_it_acts_with_the_users_roles()
    {
        var email = NewEmail();
        await CreateUserAsync(email, "DataScientist");

        var result = await fixture.RunAsync("tokens", "create", "--email", email, "--name", "ci-training");

        Assert.Equal(0, result.ExitCode);
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var token = Assert.Single(lines).TrimEnd('\r');
        Assert.Matches("^mr_[A-Za-z0-9_-]{43}$", token);
        Assert.Contains("ci-training", result.StandardError);
        Assert.DoesNotContain(token, result.StandardError);

        using var client = fixture.App.AnonymousClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var created = await client.PostAsJsonAsync("/api/v1/models", new { name = $"cli-{Guid.NewGuid():N}"[..16] }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var tokens = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/tokens", Ct);
        var listed = Assert.Single(tokens.EnumerateArray().ToArray());
        Assert.Equal("ci-training", listed.GetProperty("name").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, listed.GetProperty("expiresAt").ValueKind);
    }

    [Fact]
    public async Task Tokens_create_stores_only_a_hash_of_the_token()
    {
        var email = NewEmail();
        await CreateUserAsync(email);

        var token = (await fixture.RunAsync("tokens", "create", "--email", email, "--name", "hashed")).StandardOutput.Trim();

        await using var db = await fixture.App.DbAsync();
        var stored = Assert.Single(db.ApiTokens.Where(t => t.Name == "hashed").ToList());
        Assert.NotEqual(token, stored.SecretHash);
        Assert.DoesNotContain(token[10..], stored.SecretHash + stored.Prefix + stored.Name);
    }

    [Fact]
    public async Task Tokens_create_with_expiry_sets_it()
    {
        var email = NewEmail();
        await CreateUserAsync(email);

        var result = await fixture.RunAsync("tokens", "create", "--email", email, "--name", "weekly", "--expires-days", "7");

        Assert.Equal(0, result.ExitCode);
        var user = await FindUserAsync(email);
        var token = Assert.Single(await fixture.App.Get<TokenService>().ListAllAsync(Actor.CommandLine, Ct), t => t.OwnerEmail == user!.Email);
        Assert.NotNull(token.ExpiresAt);
        Assert.InRange(token.ExpiresAt.Value - DateTimeOffset.UtcNow, TimeSpan.FromDays(6.9), TimeSpan.FromDays(7));
    }

    [Theory]
    [InlineData("0", 2)]
    [InlineData("-1", 2)]
    [InlineData("3651", 2)]
    [InlineData("soon", 1)]
    public async Task Tokens_create_with_a_bad_expiry_fails_with_nothing_on_stdout(string days, int exitCode)
    {
        var email = NewEmail();
        await CreateUserAsync(email);

        var result = await fixture.RunAsync("tokens", "create", "--email", email, "--name", "bad-expiry", "--expires-days", days);

        Assert.Equal(exitCode, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        Assert.NotEqual("", result.StandardError);
        var user = await FindUserAsync(email);
        Assert.DoesNotContain(await fixture.App.Get<TokenService>().ListAllAsync(Actor.CommandLine, Ct), t => t.OwnerEmail == user!.Email);
    }

    [Fact]
    public async Task Tokens_create_for_an_unknown_email_fails_with_nothing_on_stdout()
    {
        var result = await fixture.RunAsync("tokens", "create", "--email", "ghost@example.com", "--name", "ci");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        Assert.Contains("ghost@example.com", result.StandardError);
    }

    [Theory]
    [InlineData("tokens", "create", "--email", "someone@example.com")]
    [InlineData("tokens", "create", "--name", "ci")]
    [InlineData("users", "create", "--email", "someone@example.com")]
    [InlineData("users", "grant", "--email", "someone@example.com")]
    [InlineData("tokens", "make", "--email", "someone@example.com")]
    public async Task Usage_error_fails_with_the_help_on_stderr_and_nothing_on_stdout(params string[] args)
    {
        var result = await fixture.RunAsync(args);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        Assert.Contains("Usage:", result.StandardError);
    }
}
