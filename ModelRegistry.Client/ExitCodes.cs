namespace ModelRegistry.Client;

/// <summary>What <c>mreg</c> exits with (docs/cli.md, "mreg"): scripts and pipelines branch on these.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Bad command line, missing settings, a local path that is not there, or a request the server called invalid (400).</summary>
    public const int Usage = 1;

    /// <summary>The model, version, reference, alias or transition request does not exist (404).</summary>
    public const int NotFound = 2;

    /// <summary>The server refused: no or wrong token (401), the role or team forbids (403), a conflict (409: frozen, gates,
    /// a stale decision), too large (413); a promotion rejected, cancelled or not decided before <c>--timeout</c>.</summary>
    public const int Refused = 3;

    /// <summary>Bytes do not match their SHA-256: a download, a local directory against a version, an upload the server checked (422).</summary>
    public const int VerificationFailed = 4;

    /// <summary>The server cannot be reached, timed out, or answered with a server error (5xx).</summary>
    public const int Unreachable = 5;

    /// <summary>Stopped by Ctrl-C (or the caller's cancellation); a rerun of push or pull resumes.</summary>
    public const int Interrupted = 130;
}

/// <summary>A failure the user is told about in one readable message, with the exit code it maps to.</summary>
public sealed class MregException(int exitCode, string message, ProblemInfo? problem = null, Exception? inner = null)
    : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>The server's problem details, when the failure is an answer of the server.</summary>
    public ProblemInfo? Problem { get; } = problem;
}

/// <summary>The parts of an RFC 9457 problem-details answer shown to the user.</summary>
public sealed record ProblemInfo(int Status, string? Title, string? Detail, string? Code, IReadOnlyDictionary<string, string[]>? Errors);
