using System.Diagnostics;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Web.Api;

/// <summary>
/// Turns Core's typed failures and malformed requests into RFC 9457 problem details with the status codes
/// docs/design.md fixes ("REST API", "Errors"). Anything else is a 500 whose body says nothing about the internals.
/// Every 5xx answered here is logged once, at Error with the exception, under the trace id the body carries, so an
/// operator handed the body finds the stack trace (since .NET 10 the middleware itself stays silent about exceptions
/// a handler answered).
/// </summary>
internal sealed class RegistryExceptionHandler(IProblemDetailsService problems, IHostEnvironment environment,
    ILogger<RegistryExceptionHandler> logger) : IExceptionHandler
{
    private const int SqliteFull = 13; // SQLITE_FULL: "database or disk is full"

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        var (status, title, detail, errors) = exception switch
        {
            ValidationFailedException v => (StatusCodes.Status400BadRequest, v.Title, v.Message, v.Errors),
            NotFoundException n => (StatusCodes.Status404NotFound, n.Title, n.Message, null),
            ConflictException c => (StatusCodes.Status409Conflict, c.Title, c.Message, null),
            UploadConflictException u => (StatusCodes.Status409Conflict, u.Title, u.Message, null),
            ChunkChecksumMismatchException m => (UploadsApi.ChecksumMismatchStatus, m.Title, m.Message, null),
            DbUpdateConcurrencyException lost => (StatusCodes.Status409Conflict, "Conflict", ConcurrencyConflicts.Message(lost), null),
            GatesNotMetException g => (StatusCodes.Status409Conflict, g.Title, g.Message, null),
            VersionFrozenException f => (StatusCodes.Status409Conflict, f.Title, f.Message, null),
            DigestMismatchException d => (StatusCodes.Status409Conflict, d.Title, d.Message, null),
            AmbiguousReferenceException a => (StatusCodes.Status409Conflict, a.Title, a.Message, null),
            ForbiddenException f => (StatusCodes.Status403Forbidden, f.Title, f.Message, null),
            LockedOutException l => (StatusCodes.Status403Forbidden, l.Title, l.Message, null),
            PayloadTooLargeException p => (StatusCodes.Status413PayloadTooLarge, p.Title, p.Message, null),
            ChecksumMismatchException m => (StatusCodes.Status422UnprocessableEntity, m.Title, m.Message, null),
            ArtifactIntegrityException i => (StatusCodes.Status500InternalServerError, i.Title, i.Message, null),
            ArtifactStoreUnavailableException u => (StatusCodes.Status503ServiceUnavailable, u.Title,
                "The artifact store cannot be reached; nothing was changed. Try again later.", null),
            InsufficientStorageException s => (StatusCodes.Status507InsufficientStorage, s.Title, s.Message, null),
            SqliteException { SqliteErrorCode: SqliteFull } => (StatusCodes.Status507InsufficientStorage, "Insufficient storage",
                "The registry's database disk is full, so nothing was changed. Try again once an operator has freed space.", null),
            AntiforgeryValidationException => (StatusCodes.Status400BadRequest, "Antiforgery token missing or invalid",
                "A dashboard (cookie) request that changes data must send the page's antiforgery token in the RequestVerificationToken header.", null),
            BadHttpRequestException b => (b.StatusCode, b.StatusCode == 413 ? "Request too large" : "Bad request", BadRequestDetail(b), null),
            _ when DatabaseFailures.IsUnavailable(exception) => (StatusCodes.Status503ServiceUnavailable, "Database unavailable",
                "The registry's database cannot be reached right now. Nothing of this request was saved; try again shortly.", null),
            _ => (StatusCodes.Status500InternalServerError, "Unexpected error",
                environment.IsDevelopment() ? exception.Message : "The server could not complete the request.", null),
        };

        // The middleware has already pointed the request at /Error: the path the caller asked for is in the feature.
        var path = context.Features.Get<IExceptionHandlerPathFeature>()?.Path is { } original ? new PathString(original) : context.Request.Path;
        if (!Hosting.WebRegistration.IsApiPath(path))
        {
            // Dashboard pages show their own messages, and a failure the generic error page (/Error, with a request
            // id and nothing of the exception); only API callers get problem details here.
            context.Response.StatusCode = status;
            return false;
        }

        context.Response.StatusCode = status;
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = "5";
        }

        if (status == StatusCodes.Status413PayloadTooLarge)
        {
            // The rest of the oversized body is not read: tell the client this connection ends with the response,
            // so it does not send its next request on a connection the server is about to close.
            context.Response.Headers.Connection = "close";
        }

        var problem = errors is { Count: > 0 }
            ? new ValidationProblemDetails(errors.ToDictionary(kv => kv.Key, kv => kv.Value)) { Title = title, Detail = detail, Status = status }
            : new ProblemDetails { Title = title, Detail = detail, Status = status };
        // The id the problem-details writer would put there itself; set here so the log line and the body cannot differ.
        var traceId = Activity.Current?.Id ?? context.TraceIdentifier;
        problem.Extensions["traceId"] = traceId;
        if (status >= StatusCodes.Status500InternalServerError)
        {
            logger.RequestFailed(exception, context.Request.Method, path.Value, status, title, traceId);
        }

        if (exception is RegistryException { Code: { } code })
        {
            problem.Extensions["code"] = code;
        }

        if (exception is VersionFrozenException frozen)
        {
            problem.Extensions["frozenAt"] = frozen.FrozenAt;
            problem.Extensions["frozenByRequestId"] = frozen.RequestId;
        }

        if (exception is DigestMismatchException mismatch)
        {
            problem.Extensions["reviewedDigest"] = mismatch.Reviewed;
            problem.Extensions["currentDigest"] = mismatch.Current;
        }

        if (exception is GatesNotMetException gates)
        {
            // Every unmet gate, so a pipeline or a person can fix them all in one go.
            problem.Extensions["unmetGates"] = gates.UnmetGates.Select(g => new { gate = g.Gate, message = g.Message }).ToList();
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    private static string BadRequestDetail(BadHttpRequestException b) => b.InnerException switch
    {
        System.Text.Json.JsonException j => $"The request body is not valid JSON: {j.Message}",
        _ => b.Message,
    };
}
