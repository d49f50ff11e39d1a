using System.CommandLine;
using System.Text.Json;
using ModelRegistry.Client.Api;
using ModelRegistry.Client.Commands;

namespace ModelRegistry.Client;

/// <summary>
/// The <c>mreg</c> command line (docs/cli.md, "mreg"): parses the arguments, runs the verb, and turns every failure into
/// one readable message on standard error and the exit code of the contract (<see cref="ExitCodes"/>).
/// </summary>
public static class Mreg
{
    /// <summary>Runs <c>mreg</c> with <paramref name="args"/> in <paramref name="env"/>; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, MregEnvironment env, CancellationToken ct = default)
    {
        var json = new Option<bool>("--json") { Description = "Machine-readable output: one JSON document on standard output", Recursive = true };
        var root = new RootCommand("mreg: the model registry from pipelines and laptops — push, pull, promote, verify")
        {
            LoginCommand.Create(env, json),
            PushCommand.Create(env, json),
            PullCommand.Create(env, json),
            PromoteCommand.Create(env, json),
            MetricsCommand.Create(env, json),
            AliasCommand.Create(env, json),
            ListCommand.Create(env, json),
            VerifyCommand.Create(env, json),
        };
        root.Options.Add(json);
        var parsed = root.Parse(args);
        var code = await parsed.InvokeAsync(new InvocationConfiguration { Output = env.Out, Error = env.Error, EnableDefaultExceptionHandler = false }, ct);
        // Usage errors (unknown verb, missing option) are the parser's: 1, as the contract says.
        return parsed.Errors.Count > 0 ? ExitCodes.Usage : code;
    }

    internal static Option<int> ParallelOption() =>
        new("--parallel") { Description = "Files transferred at once (default 4)", DefaultValueFactory = _ => 4 };

    internal static void RequireParallel(int parallel)
    {
        if (parallel is < 1 or > 64)
        {
            throw new MregException(ExitCodes.Usage, "--parallel must be between 1 and 64.");
        }
    }

    /// <summary>Runs a verb: results through <see cref="Results"/>, every failure as a message and an exit code.</summary>
    internal static async Task<int> RunActionAsync(MregEnvironment env, bool json, Func<Results, Task<int>> action)
    {
        var results = new Results(env, json);
        MregException failure;
        try
        {
            return await action(results);
        }
        catch (MregException e)
        {
            failure = e;
        }
        catch (RegistryApiException e)
        {
            failure = RegistryConnection.Failure(e.StatusCode, e.Response, Operation(e));
        }
        catch (OperationCanceledException e)
        {
            // Interrupted (Ctrl-C, the caller's token), or a connection attempt that timed out.
            failure = e.CancellationToken.IsCancellationRequested && e.InnerException is not TimeoutException
                ? new MregException(ExitCodes.Interrupted, "Interrupted; run the same command again to continue where it stopped.")
                : new MregException(ExitCodes.Unreachable, "The registry did not answer in time.", inner: e);
        }
        catch (Exception e) when (RegistryConnection.IsConnectionFailure(e))
        {
            failure = new MregException(ExitCodes.Unreachable, $"Cannot reach the registry: {Innermost(e).Message}", inner: e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            failure = new MregException(ExitCodes.Usage, $"Local file error: {e.Message}", inner: e);
        }
        catch (JsonException e)
        {
            failure = new MregException(ExitCodes.Unreachable, $"The server's answer is not what the API describes: {e.Message}", inner: e);
        }

        await env.Error.WriteLineAsync($"mreg: {failure.Message}");
        await env.Error.FlushAsync();
        if (json && !results.Written)
        {
            await env.Out.WriteLineAsync(JsonSerializer.Serialize(
                new ErrorOutput(new ErrorDetail(failure.Message, failure.ExitCode, failure.Problem?.Status, failure.Problem?.Title,
                    failure.Problem?.Detail, failure.Problem?.Code)),
                MregJson.Info<ErrorOutput>()));
            await env.Out.FlushAsync();
        }

        return failure.ExitCode;
    }

    private static string Operation(RegistryApiException e) => e.StatusCode switch
    {
        400 => "Invalid request",
        404 => "Not found",
        >= 500 => "Server error",
        _ => "Refused",
    };

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }
}
