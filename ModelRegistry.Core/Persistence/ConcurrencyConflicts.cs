using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Persistence;

/// <summary>
/// A lost update (optimistic concurrency: a <c>Revision</c> token that moved, or a row another writer deleted or changed
/// under a tracked entity) is a 409 the user can act on, whichever entity it hit: <see cref="RegistryDbContext.InTransactionAsync"/>
/// turns it into a <see cref="ConflictException"/> with this message, and the API maps any that escapes the same way.
/// </summary>
public static class ConcurrencyConflicts
{
    /// <summary>"Someone else changed this request at the same moment. Reload it and try again." (model, version, … likewise).</summary>
    public static string Message(DbUpdateConcurrencyException exception) =>
        $"Someone else changed this {What(exception)} at the same moment. Reload it and try again.";

    public static ConflictException ToConflict(DbUpdateConcurrencyException exception) => new(Message(exception), exception);

    private static string What(DbUpdateConcurrencyException exception) =>
        exception.Entries switch
        {
            [{ Entity: TransitionRequest }, ..] => "request",
            [{ Entity: RegisteredModel }, ..] => "model",
            [{ Entity: ModelVersion }, ..] => "version",
            _ => "record",
        };
}
