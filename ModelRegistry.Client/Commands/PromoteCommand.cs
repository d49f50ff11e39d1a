using System.CommandLine;
using System.Globalization;
using ModelRegistry.Client.Api;

namespace ModelRegistry.Client.Commands;

/// <summary>
/// <c>mreg promote NAME N --to STAGE [--comment C] [--wait [--timeout 30m]]</c>: requests the transition; with
/// <c>--wait</c>, asks every few seconds until a reviewer approved (exit 0) or rejected it, it was cancelled, or the
/// timeout passed (exit 3).
/// </summary>
internal static class PromoteCommand
{
    public static Command Create(MregEnvironment env, Option<bool> json)
    {
        var model = new Argument<string>("NAME") { Description = "The model" };
        var number = new Argument<int>("N") { Description = "The version number" };
        var to = new Option<string>("--to") { Description = "staging, production or archived", Required = true };
        var comment = new Option<string?>("--comment") { Description = "Why: shown to reviewers" };
        var wait = new Option<bool>("--wait") { Description = "Wait until the request is approved or rejected" };
        var timeout = new Option<string>("--timeout") { Description = "How long --wait waits: 90s, 30m, 2h (default 30m)", DefaultValueFactory = _ => "30m" };
        var command = new Command("promote", "Requests a stage transition, optionally waiting for the reviewers' decision") { model, number, to, comment, wait, timeout };
        command.SetAction((result, ct) => Mreg.RunActionAsync(env, result.GetValue(json), results => RunAsync(env, results,
            result.GetValue(model)!, result.GetValue(number), result.GetValue(to)!, result.GetValue(comment), result.GetValue(wait),
            result.GetValue(timeout)!, ct)));
        return command;
    }

    private static async Task<int> RunAsync(MregEnvironment env, Results results, string model, int number, string stageText, string? comment,
        bool wait, string timeoutText, CancellationToken ct)
    {
        if (!Enum.TryParse<TransitionBodyToStage>(stageText, ignoreCase: true, out var stage) || !Enum.IsDefined(stage)
            || stage == TransitionBodyToStage.None || int.TryParse(stageText, out _))
        {
            throw new MregException(ExitCodes.Usage, $"--to must be staging, production or archived, not '{stageText}'.");
        }

        var timeout = ParseDuration(timeoutText);
        var settings = ClientSettings.Load(env);
        using var connection = RegistryConnection.Open(env, settings);
        var request = await connection.Api.RequestTransitionAsync(model, number, new TransitionBody { ToStage = stage, Comment = comment }, ct);
        await env.Error.WriteLineAsync($"Requested {model} version {number} → {request.ToStage} (request {request.Id}, {request.Status}).");
        var timedOut = false;
        if (wait && request.Status == TransitionStatus.Pending)
        {
            await env.Error.WriteLineAsync($"Waiting up to {timeoutText} for the reviewers' decision…");
            var deadline = DateTimeOffset.UtcNow + timeout;
            while (request.Status == TransitionStatus.Pending)
            {
                var left = deadline - DateTimeOffset.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    timedOut = true;
                    break;
                }

                await Task.Delay(left < env.PollInterval ? left : env.PollInterval, ct);
                request = await connection.Api.GetTransitionAsync(request.Id, ct);
            }
        }

        await results.WriteAsync(new TransitionOutput(request.Id, request.ModelName, request.VersionNumber, request.FromStage, request.ToStage,
            timedOut ? "Timeout" : request.Status.ToString(), request.ApprovalsRequired, request.Approvals.Count, request.DecidedBy,
            request.DecisionComment, request.Digest), () => [$"{request.Id} {(timedOut ? "Timeout" : request.Status.ToString())}"]);

        if (timedOut)
        {
            throw new MregException(ExitCodes.Refused, $"Request {request.Id} was not decided within {timeoutText}; it stays pending.");
        }

        return wait && request.Status is TransitionStatus.Rejected or TransitionStatus.Cancelled
            ? throw new MregException(ExitCodes.Refused, $"Request {request.Id} was {request.Status.ToString().ToLowerInvariant()}"
                + (request.DecidedBy is { } by ? $" by {by}" : "") + (request.DecisionComment is { Length: > 0 } c ? $": {c}" : "."))
            : ExitCodes.Ok;
    }

    /// <summary>90s, 30m, 2h, 1d, or a .NET time span (00:30:00).</summary>
    internal static TimeSpan ParseDuration(string text)
    {
        var t = text.Trim();
        if (t.Length > 1 && double.TryParse(t[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            TimeSpan? parsed = char.ToLowerInvariant(t[^1]) switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => null,
            };
            if (parsed is { } p)
            {
                return p;
            }
        }

        return TimeSpan.TryParse(t, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero
            ? span
            : throw new MregException(ExitCodes.Usage, $"--timeout '{text}' is not a duration like 90s, 30m or 2h.");
    }
}
