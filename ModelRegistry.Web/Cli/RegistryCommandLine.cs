using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;
using ModelRegistry.Web.Hosting;

namespace ModelRegistry.Web.Cli;

/// <summary>
/// The operator's verbs (docs/design.md, "Command line"). They run in the same executable with the same
/// configuration as the server, so they work on the same data directory, even while it serves.
/// Results go to standard output, messages to standard error.
/// </summary>
public static class RegistryCommandLine
{
    private static readonly string[] Verbs = ["users", "tokens", "seed-demo", "backup", "restore", "verify-audit", "verify-artifacts", "migrate-database"];

    public static bool IsCommand(string[] args) => args.Length > 0 && Verbs.Contains(args[0]);

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Model Registry for LLMs");
        root.Subcommands.Add(UsersCommand());
        root.Subcommands.Add(TokensCommand());
        root.Subcommands.Add(SeedDemoCommand.Create(work => WithServicesAsync(work)));
        root.Subcommands.Add(OperationsCommands.Backup(work => WithServicesAsync(work)));
        root.Subcommands.Add(OperationsCommands.Restore(work => WithServicesAsync(work, initialize: false)));
        root.Subcommands.Add(OperationsCommands.VerifyAudit(work => WithServicesAsync(work)));
        root.Subcommands.Add(VerifyArtifactsCommand.Create(work => WithServicesAsync(work)));
        root.Subcommands.Add(MigrateDatabaseCommand.Create(work => WithServicesAsync(work)));
        var parsed = root.Parse(args);

        // A usage error prints the command's help with it; both go to standard error, so a script that
        // captures standard output (tokens create) never takes a help page for a token. Asked-for --help stays on stdout.
        return await parsed.InvokeAsync(parsed.Errors.Count > 0 ? new InvocationConfiguration { Output = Console.Error } : null);
    }

    private static Command UsersCommand()
    {
        var email = new Option<string>("--email") { Description = "The user's e-mail address (also the sign-in name)", Required = true };
        var password = new Option<string>("--password") { Description = "At least 10 characters", Required = true };
        var roles = new Option<string[]>("--role") { Description = "Admin, DataScientist, Reviewer or Auditor; repeat for several" };
        var name = new Option<string?>("--name") { Description = "Display name" };
        var create = new Command("create", "Create a user who can sign in at once") { email, password, roles, name };
        create.SetAction((result, ct) => WithServicesAsync(async services =>
        {
            var user = await services.GetRequiredService<UserAdminService>().CreateAsync(Actor.CommandLine,
                result.GetValue(email)!, result.GetValue(password)!, result.GetValue(name), result.GetValue(roles) ?? [], ct);
            await Console.Error.WriteLineAsync($"Created {user.Email} with roles: {Describe(user.Roles)}");
            return 0;
        }));

        var grantEmail = new Option<string>("--email") { Required = true };
        var grantRole = new Option<string>("--role") { Required = true };
        var grant = new Command("grant", "Grant a role to a user") { grantEmail, grantRole };
        grant.SetAction((result, ct) => WithServicesAsync(async services =>
        {
            var user = await FindUserAsync(services, result.GetValue(grantEmail)!, ct);
            var updated = await services.GetRequiredService<UserAdminService>().GrantRoleAsync(Actor.CommandLine, user, result.GetValue(grantRole)!, ct);
            await Console.Error.WriteLineAsync($"{updated.Email} now has roles: {Describe(updated.Roles)}");
            return 0;
        }));

        return new Command("users", "Manage users") { create, grant };
    }

    private static Command TokensCommand()
    {
        var email = new Option<string>("--email") { Description = "Whose token", Required = true };
        var name = new Option<string>("--name") { Description = "What the token is for, e.g. ci-training", Required = true };
        var days = new Option<int?>("--expires-days") { Description = "Lifetime in days (default: no expiry)" };
        var create = new Command("create", "Make an API token; prints it alone on standard output") { email, name, days };
        create.SetAction((result, ct) => WithServicesAsync(async services =>
        {
            var userId = await FindUserAsync(services, result.GetValue(email)!, ct);
            var created = await services.GetRequiredService<TokenService>().CreateAsync(Actor.CommandLine, userId,
                result.GetValue(name)!, result.GetValue(days), ct);
            await Console.Error.WriteLineAsync($"Token '{created.Info.Name}' for {result.GetValue(email)} — shown once, store it now:");
            Console.Out.WriteLine(created.Token);
            return 0;
        }));

        return new Command("tokens", "Manage API tokens") { create };
    }

    private static async Task<string> FindUserAsync(IServiceProvider services, string email, CancellationToken ct)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<RegistryDbContext>>().CreateDbContextAsync(ct);
        var normalized = email.Trim().ToUpperInvariant();
        return await db.Users.Where(u => u.NormalizedEmail == normalized).Select(u => u.Id).SingleOrDefaultAsync(ct)
            ?? throw new NotFoundException($"There is no user with e-mail '{email}'.");
    }

    private static string Describe(IReadOnlyList<string> roles) => roles.Count == 0 ? "Viewer only" : string.Join(", ", roles);

    /// <summary>Builds the app's services on the configured data directory, migrates it, and runs <paramref name="work"/>.</summary>
    internal static async Task<int> WithServicesAsync(Func<IServiceProvider, Task<int>> work, bool initialize = true)
    {
        var builder = RegistryHost.CreateBuilder([]);
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddModelRegistryCore();
        await using var app = builder.Build();
        try
        {
            if (initialize)
            {
                await app.Services.GetRequiredService<DatabaseInitializer>().InitializeAsync();
            }

            return await work(app.Services);
        }
        catch (RegistryException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return e is ValidationFailedException ? 2 : 1;
        }
        catch (DatabaseConfigurationException e)
        {
            await Console.Error.WriteLineAsync(e.Message.StartsWith("error:", StringComparison.Ordinal) ? e.Message : $"error: {e.Message}");
            return 1;
        }
    }
}
