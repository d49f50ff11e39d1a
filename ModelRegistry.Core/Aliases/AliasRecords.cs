namespace ModelRegistry.Core.Aliases;

/// <summary>An alias as the API and the dashboard show it.</summary>
/// <param name="Alias">The alias's name.</param>
/// <param name="Version">The number of the version it points at.</param>
/// <param name="Digest">That version's digest now.</param>
/// <param name="UpdatedBy">Who last set or moved it.</param>
/// <param name="UpdatedAt">When.</param>
public sealed record AliasInfo(string Alias, int Version, string Digest, string UpdatedBy, DateTimeOffset UpdatedAt);
