namespace ModelRegistry.Core.Teams;

/// <summary>
/// Whose eyes the registry's reads look through. The web host enters a scope for every request and every circuit
/// activity (the signed-in user, or <see cref="Anonymous"/>); each <see cref="Persistence.RegistryDbContext"/> created
/// inside it takes the viewer, and the context's query filter hides the Restricted models that viewer may not see,
/// and everything that hangs off them, from every query (docs/design.md, "Teams and model access"). Outside any scope
/// (background work, the command line) nothing is hidden. Privileged writes bind the context to their actor instead
/// (<see cref="Security.AccessGuard.DemandAsync"/>).
/// </summary>
public static class ModelViewer
{
    /// <summary>The viewer id of a request nobody signed in to: sees Internal models only.</summary>
    public const string Anonymous = "";

    private static readonly AsyncLocal<string?> Ambient = new();

    /// <summary>The user id reads are filtered for, or null when nothing is hidden.</summary>
    public static string? Current => Ambient.Value;

    /// <summary>Reads in the returned scope see what <paramref name="userId"/> may see; disposing restores the previous viewer.</summary>
    public static IDisposable As(string? userId)
    {
        var previous = Ambient.Value;
        Ambient.Value = userId ?? Anonymous;
        return new Restore(previous);
    }

    private sealed class Restore(string? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}
