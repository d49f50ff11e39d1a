using System.CommandLine;
using ModelRegistry.Web.Cli;

namespace ModelRegistry.Tests.Cli;

/// <summary>
/// The command line explains itself (docs/design.md, "Command line"): <c>--help</c> lists every verb and the server's
/// options, <c>VERB --help</c> describes the verb with an example, an unknown verb names the known ones — and none of
/// them starts the server or creates the data directory.
/// </summary>
public sealed class CommandLineHelpTests
{
    private static readonly IReadOnlyList<RegistryCommandLine.Verb> Verbs = RegistryCommandLine.Verbs();

    public static TheoryData<string> VerbNames => new(Verbs.Select(v => v.Name));

    /// <summary>Every command, sub-commands included, with its words after the executable (e.g. "users create").</summary>
    private static IEnumerable<(string Path, Command Command)> AllCommands()
    {
        foreach (var verb in Verbs)
        {
            yield return (verb.Name, verb.Command);
            foreach (var sub in verb.Command.Subcommands)
            {
                yield return ($"{verb.Name} {sub.Name}", sub);
            }
        }
    }

    private static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "mr-tests", $"cli-help-{Guid.NewGuid():N}");

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public async Task Help_lists_every_verb_and_the_server_options_and_exits_without_creating_the_data_directory(string word)
    {
        var data = NewDataDirectory();

        var result = await RegistryCli.RunAsync(data, word);

        Assert.Equal(0, result.ExitCode);
        foreach (var verb in Verbs)
        {
            var line = Assert.Single(result.StandardOutput.Split('\n'), l => l.TrimStart().StartsWith(verb.Name + " ", StringComparison.Ordinal));
            Assert.Contains(verb.Command.Description!, line);
        }

        Assert.Contains("users create|grant", result.StandardOutput);
        Assert.Contains("--urls", result.StandardOutput);
        Assert.Contains("--Registry:DataDirectory", result.StandardOutput);
        Assert.False(Directory.Exists(data), "--help must not create the data directory");
    }

    [Fact]
    public async Task Help_after_server_options_still_only_prints_the_help()
    {
        var data = NewDataDirectory();

        var result = await RegistryCli.RunAsync(data, "--urls", "http://127.0.0.1:0", "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("verify-artifacts", result.StandardOutput);
        Assert.False(Directory.Exists(data));
    }

    [Theory]
    [MemberData(nameof(VerbNames))]
    public async Task Each_verb_describes_its_options_with_an_example_and_exits_without_touching_the_data(string name)
    {
        var data = NewDataDirectory();
        var verb = Verbs.Single(v => v.Name == name);

        var result = await RegistryCli.RunAsync(data, name, "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains(verb.Command.Description!, result.StandardOutput);
        foreach (var option in verb.Command.Options)
        {
            Assert.Contains(option.Name, result.StandardOutput);
        }

        foreach (var sub in verb.Command.Subcommands)
        {
            Assert.Contains(sub.Name, result.StandardOutput);
        }

        Assert.Contains("Examples:", result.StandardOutput);
        Assert.Contains($"ModelRegistry.Web {name}", result.StandardOutput);
        Assert.False(Directory.Exists(data), $"{name} --help must not create the data directory");
    }

    [Fact]
    public async Task A_sub_verb_describes_its_own_options_and_help_VERB_is_VERB_help()
    {
        var data = NewDataDirectory();

        var create = await RegistryCli.RunAsync(data, "users", "create", "--help");
        var backup = await RegistryCli.RunAsync(data, "help", "backup");

        Assert.Equal(0, create.ExitCode);
        Assert.Contains("--password", create.StandardOutput);
        Assert.Contains("ModelRegistry.Web users create --email", create.StandardOutput);
        Assert.DoesNotContain("users grant --email", create.StandardOutput);
        Assert.Equal(0, backup.ExitCode);
        Assert.Contains("--to", backup.StandardOutput);
        Assert.Contains("ModelRegistry.Web backup --to", backup.StandardOutput);
        Assert.False(Directory.Exists(data));
    }

    [Fact]
    public async Task An_unknown_verb_exits_1_naming_every_verb_and_starts_nothing()
    {
        var data = NewDataDirectory();

        var result = await RegistryCli.RunAsync(data, "verify-everything");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("'verify-everything' is not a command", result.StandardError);
        foreach (var verb in Verbs)
        {
            Assert.Contains(verb.Name, result.StandardError);
        }

        Assert.Equal("", result.StandardOutput);
        Assert.False(Directory.Exists(data));
    }

    /// <summary>A verb exists only as a row of the table; the row must carry its help. Fails for a verb added without it.</summary>
    [Fact]
    public void Every_verb_and_sub_verb_has_a_description_described_options_and_an_example()
    {
        Assert.NotEmpty(Verbs);
        Assert.Equal(Verbs.Count, Verbs.Select(v => v.Name).Distinct().Count());
        foreach (var (path, command) in AllCommands())
        {
            Assert.False(string.IsNullOrWhiteSpace(command.Description), $"'{path}' has no description");
            foreach (var option in command.Options)
            {
                Assert.False(string.IsNullOrWhiteSpace(option.Description), $"'{path} {option.Name}' has no description");
            }

            if (command.Subcommands.Count == 0)
            {
                var verb = Verbs.Single(v => path == v.Name || path.StartsWith(v.Name + " ", StringComparison.Ordinal));
                Assert.True(verb.Examples.Any(e => e == path || e.StartsWith(path + " ", StringComparison.Ordinal)),
                    $"'{path}' has no example");
            }
        }
    }

    [Theory]
    [InlineData(new string[0], false)]
    [InlineData(new[] { "--urls", "http://127.0.0.1:5080" }, false)]
    [InlineData(new[] { "--Registry:DataDirectory", "/srv/registry" }, false)]
    [InlineData(new[] { "Urls=http://127.0.0.1:5080" }, false)]
    [InlineData(new[] { "users", "create" }, true)]
    [InlineData(new[] { "no-such-verb" }, true)]
    [InlineData(new[] { "--urls", "http://127.0.0.1:5080", "-h" }, true)]
    public void Server_options_serve_and_anything_else_is_a_command(string[] args, bool command) =>
        Assert.Equal(command, RegistryCommandLine.IsCommand(args));
}
