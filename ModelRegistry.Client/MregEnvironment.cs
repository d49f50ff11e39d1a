namespace ModelRegistry.Client;

/// <summary>
/// Everything <c>mreg</c> takes from the process it runs in — standard streams, environment variables, where its
/// settings live — so that tests run the real commands in-process, side by side, without sharing any of it.
/// </summary>
public sealed class MregEnvironment
{
    /// <summary>Results: text, or JSON with <c>--json</c>.</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Progress and error messages.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>Where a token is read from when <c>login</c> gets none on its command line.</summary>
    public TextReader? In { get; init; }

    /// <summary>Whether <see cref="In"/> is a terminal (then <c>login</c> prompts without echoing).</summary>
    public bool InputIsTerminal { get; init; }

    /// <summary>Whether <see cref="Error"/> is a terminal: a progress bar there, plain progress lines otherwise (CI).</summary>
    public bool ErrorIsTerminal { get; init; }

    /// <summary>Environment variables (MREG_URL, MREG_TOKEN, MREG_CONFIG_DIR, XDG_CONFIG_HOME).</summary>
    public Func<string, string?> Variables { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>The HTTP handler under the client; tests wrap the real one to count or cut off bytes.</summary>
    public Func<HttpMessageHandler>? Handler { get; init; }

    /// <summary>How often <c>promote --wait</c> asks whether the request was decided.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The directory of the settings file and of the resume state of pushes.</summary>
    public string ConfigDirectory
    {
        get
        {
            if (Variables("MREG_CONFIG_DIR") is { Length: > 0 } explicitDir)
            {
                return explicitDir;
            }

            if (!OperatingSystem.IsWindows() && Variables("XDG_CONFIG_HOME") is { Length: > 0 } xdg)
            {
                return Path.Combine(xdg, "mreg");
            }

            var appData = Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify);
            if (string.IsNullOrEmpty(appData))
            {
                appData = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
            }

            return Path.Combine(appData, "mreg");
        }
    }

    /// <summary>The real process: console streams and environment.</summary>
    public static MregEnvironment FromProcess() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        In = Console.In,
        InputIsTerminal = !Console.IsInputRedirected,
        ErrorIsTerminal = !Console.IsErrorRedirected,
    };
}
