using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text;
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
    private static readonly string[] HelpWords = ["--help", "-h", "-?", "help"];

    /// <summary>
    /// Every verb, with what <c>--help</c> shows of it: the command (its one-line description, arguments and options)
    /// and an example for each thing it does. A verb exists only as a row here, so it cannot come without its help;
    /// <c>CommandLineHelpTests</c> checks every row.
    /// </summary>
    internal static IReadOnlyList<Verb> Verbs() =>
    [
        new(UsersCommand(),
            "users create --email ada@example.com --password 'a-long-password' --role Admin",
            "users grant --email ada@example.com --role Reviewer"),
        new(TokensCommand(), "tokens create --email ci@example.com --name ci-training --expires-days 90"),
        new(SeedDemoCommand.Create(work => WithServicesAsync(work)), "seed-demo", "seed-demo --models 1000 --versions-per-model 10"),
        new(OperationsCommands.Backup(work => WithServicesAsync(work)), "backup --to /backups/registry-2026-01-31"),
        new(OperationsCommands.Restore(work => WithServicesAsync(work, initialize: false)), "restore --from /backups/registry-2026-01-31"),
        new(OperationsCommands.VerifyAudit(work => WithServicesAsync(work)), "verify-audit", "verify-audit --head 1234:9f86d081884c7d65…"),
        new(VerifyArtifactsCommand.Create(work => WithServicesAsync(work)), "verify-artifacts --verbose"),
        new(MigrateDatabaseCommand.Create(work => WithServicesAsync(work)),
            "migrate-database --to-postgres \"Host=db;Database=registry;Username=registry;Password=…\" --artifacts-to s3"),
    ];

    /// <summary>
    /// True when <paramref name="args"/> ask for a verb, for help, or name a verb that does not exist; false when they
    /// are empty or start with a server option (<c>--urls …</c>, <c>--Registry:DataDirectory …</c>, <c>Key=value</c>).
    /// </summary>
    public static bool IsCommand(string[] args) =>
        args.Length > 0 && (args.Any(IsHelpWord) || !(args[0].StartsWith('-') || args[0].StartsWith('/') || args[0].Contains('=')));

    public static async Task<int> RunAsync(string[] args)
    {
        var verbs = Verbs();
        if (!verbs.Any(v => v.Name == args[0]))
        {
            // "help VERB" is "VERB --help"; "help", "--help" (also after server options) list everything.
            if (IsHelpWord(args[0]) && args.Length > 1 && verbs.Any(v => v.Name == args[1]))
            {
                args = [args[1], "--help"];
            }
            else if (args.Any(IsHelpWord))
            {
                Console.Out.Write(Overview(verbs));
                return 0;
            }
            else
            {
                await Console.Error.WriteLineAsync(
                    $"error: '{args[0]}' is not a command. The commands are: {string.Join(", ", verbs.Select(v => v.Name))}. " +
                    "Run with --help for what each does and for the server's options.");
                return 1;
            }
        }

        var root = new RootCommand("Model Registry for LLMs");
        foreach (var verb in verbs)
        {
            root.Subcommands.Add(verb.Command);
        }

        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithExamples((SynchronousCommandLineAction)help.Action!, verbs);
        var parsed = root.Parse(args);

        // A usage error prints the command's help with it; both go to standard error, so a script that
        // captures standard output (tokens create) never takes a help page for a token. Asked-for --help stays on stdout,
        // even for a verb whose required options it leaves out (the parser reports those as errors too).
        var usageError = parsed.Errors.Count > 0 && parsed.Action is not HelpWithExamples;
        return await parsed.InvokeAsync(usageError ? new InvocationConfiguration { Output = Console.Error } : null);
    }

    private static bool IsHelpWord(string arg) => HelpWords.Contains(arg, StringComparer.Ordinal);

    /// <summary>What <c>--help</c> prints: how to run the server or a verb, every verb in one line, the server's options.</summary>
    internal static string Overview(IReadOnlyList<Verb> verbs)
    {
        var text = new StringBuilder();
        text.AppendLine("Model Registry for LLMs: the dashboard, the REST API and the operator's commands, in one executable.");
        text.AppendLine();
        text.AppendLine("Usage (from the repository: dotnet run --project ModelRegistry.Web -- ARGUMENTS):");
        text.AppendLine("  ModelRegistry.Web [server options]      serve the dashboard and the API until stopped");
        text.AppendLine("  ModelRegistry.Web COMMAND [options]     run a command on the same data directory and exit (also while serving)");
        text.AppendLine("  ModelRegistry.Web COMMAND --help        what the command does, its options and an example");
        text.AppendLine();
        text.AppendLine("Commands:");
        foreach (var verb in verbs)
        {
            var name = verb.Command.Subcommands.Count == 0
                ? verb.Name
                : $"{verb.Name} {string.Join("|", verb.Command.Subcommands.Select(c => c.Name))}";
            text.AppendLine(CultureInfo.InvariantCulture, $"  {name,-26}{verb.Command.Description}");
        }

        text.AppendLine();
        text.AppendLine("Server options (any setting of appsettings.json can be given as --Section:Key value; environment");
        text.AppendLine("variables such as Registry__DataDirectory work too; see docs/design.md, \"Configuration\"):");
        foreach (var (option, description) in ServerOptions)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {option,-42}{description}");
        }
        return text.ToString();
    }

    private static readonly (string Option, string Description)[] ServerOptions =
    [
        ("-h, --help, help", "show this help and exit, starting nothing"),
        ("--urls URL[;URL]", "where to listen (default http://localhost:5080)"),
        ("--environment NAME", "Production (default) or Development"),
        ("--Registry:DataDirectory DIR", "the SQLite database and the artifact store (default ./data)"),
        ("--Registry:Database Sqlite|Postgres", "the database (default Sqlite)"),
        ("--ConnectionStrings:Registry TEXT", "the database's connection string (PostgreSQL, or another SQLite file)"),
        ("--Registry:Artifacts:Store FileSystem|S3", "where files are stored (default FileSystem)"),
        ("--Registry:Admin:Email E", "the first Admin, created on first start ..."),
        ("--Registry:Admin:Password P", "... with this password"),
    ];

    /// <summary>One verb: its command and the examples its help ends with.</summary>
    internal sealed record Verb(Command Command, params string[] Examples)
    {
        public string Name => Command.Name;
    }

    /// <summary>The standard help of a command, then the examples of it (for <c>users --help</c>: of create and grant).</summary>
    private sealed class HelpWithExamples(SynchronousCommandLineAction standard, IReadOnlyList<Verb> verbs) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var result = standard.Invoke(parseResult);
            var path = new List<string>();
            for (var command = parseResult.CommandResult; command is not null; command = command.Parent as CommandResult)
            {
                path.Insert(0, command.Command.Name);
            }

            var examples = verbs.Where(v => path.Count > 1 && v.Name == path[1])
                .SelectMany(v => v.Examples)
                .Where(e => e == string.Join(' ', path.Skip(1)) || e.StartsWith(string.Join(' ', path.Skip(1)) + " ", StringComparison.Ordinal))
                .ToList();
            if (examples.Count > 0)
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine("Examples:");
                foreach (var example in examples)
                {
                    output.WriteLine($"  ModelRegistry.Web {example}");
                }

                output.WriteLine();
            }

            return result;
        }
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

        var grantEmail = new Option<string>("--email") { Description = "The user's e-mail address", Required = true };
        var grantRole = new Option<string>("--role") { Description = "Admin, DataScientist, Reviewer or Auditor", Required = true };
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
