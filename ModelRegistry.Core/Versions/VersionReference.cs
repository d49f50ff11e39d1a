using System.Globalization;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Aliases;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Versions;

/// <summary>
/// Version references (docs/design.md, "Version references"): wherever a read takes a version number it also takes
/// a number, <c>latest</c> (the highest number), <c>production</c>, <c>staging</c>, an alias, or a commit or digest prefix
/// of at least <see cref="MinPrefixLength"/> hex digits, with or without <c>sha256:</c>. Writes take numbers only.
/// </summary>
/// <remarks>
/// Resolved in this order: a number; <c>latest</c>, <c>production</c>, <c>staging</c> (any case); an alias; a digest
/// prefix. An alias therefore wins over a digest prefix it happens to spell (<c>deadbeefcafe</c>), as a git ref wins
/// over an abbreviated commit. No alias can be a number or a reserved word (<see cref="AliasName"/>).
/// </remarks>
public static class VersionReference
{
    /// <summary>Fewest hex digits a commit or digest prefix needs (48 bits: unambiguous in practice).</summary>
    public const int MinPrefixLength = 12;

    public const string Latest = "latest";
    public const string Production = "production";
    public const string Staging = "staging";

    /// <summary>Longest reference worth looking up: <c>sha256:</c> and 64 hex digits.</summary>
    private const int MaxLength = 7 + 64;

    /// <summary>
    /// The number of the version <paramref name="reference"/> names in model <paramref name="modelName"/>.
    /// 404 for an unknown model, or a reference that names no version (the message names it); 400 for a hex prefix
    /// shorter than <see cref="MinPrefixLength"/> that is no alias (errors entry <c>reference</c>); 409
    /// (<c>code</c> <c>ambiguous_reference</c>) for a prefix of more than one version's digest.
    /// </summary>
    public static async Task<int> ResolveAsync(RegistryDbContext db, string modelName, string? reference, CancellationToken ct)
    {
        var modelId = await db.RequireModelIdAsync(modelName, ct);
        var text = reference ?? "";
        if (text.Length == 0)
        {
            throw ValidationFailedException.For("reference", "A version reference is required: a number, latest, production, staging, an alias or a commit.");
        }

        if (IsNumber(text) && text.Length < MinPrefixLength)
        {
            // Twelve digits or more are a digest prefix (no registry has 10^11 versions); fewer than that, more than an
            // int holds, are too short for a prefix and too long for a number.
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                return await db.Versions.Numbered(modelId, number).AnyAsync(ct)
                    ? number
                    : throw VersionService.VersionNotFound(modelName, number);
            }
        }

        if (text.Length > MaxLength)
        {
            throw Unknown(modelName, text);
        }

        if (text.Equals(Latest, StringComparison.OrdinalIgnoreCase))
        {
            return await db.Versions.Where(v => v.ModelId == modelId).MaxAsync(v => (int?)v.Number, ct)
                ?? throw new NotFoundException($"Model '{modelName}' has no versions yet, so '{text}' names none.");
        }

        if (text.Equals(Production, StringComparison.OrdinalIgnoreCase) || text.Equals(Staging, StringComparison.OrdinalIgnoreCase))
        {
            var stage = text.Equals(Production, StringComparison.OrdinalIgnoreCase) ? Stage.Production : Stage.Staging;
            // At most one version is in Production; of several in Staging, the newest (as GET …/stages/Staging answers).
            return await db.Versions.Where(v => v.ModelId == modelId && v.Stage == stage)
                .OrderByDescending(v => v.Number).Select(v => (int?)v.Number).FirstOrDefaultAsync(ct)
                ?? throw new NotFoundException($"Model '{modelName}' has no version in {stage}.");
        }

        if (AliasName.IsValid(text))
        {
            var aliased = await db.Aliases.Where(a => a.ModelId == modelId && a.Name == text)
                .Select(a => (int?)a.Version.Number).SingleOrDefaultAsync(ct);
            if (aliased is { } n)
            {
                return n;
            }
        }

        var hex = text.StartsWith(VersionManifest.DigestPrefix, StringComparison.OrdinalIgnoreCase) ? text[VersionManifest.DigestPrefix.Length..] : text;
        if (!IsHex(hex))
        {
            throw Unknown(modelName, text);
        }

        if (hex.Length < MinPrefixLength)
        {
            throw ValidationFailedException.For("reference",
                $"Model '{modelName}' has no alias '{text}', and a commit or digest prefix needs at least {MinPrefixLength} hex digits.");
        }

        var prefix = VersionManifest.DigestPrefix + hex.ToLowerInvariant();
        var matches = await db.Versions.Where(v => v.ModelId == modelId && v.Digest.StartsWith(prefix))
            .OrderBy(v => v.Number).Select(v => v.Number).Take(5).ToListAsync(ct);
        return matches switch
        {
            [var only] => only,
            [] => throw Unknown(modelName, text),
            _ => throw new AmbiguousReferenceException(
                $"'{text}' is the start of the digest of more than one version of '{modelName}' ({string.Join(", ", matches.Select(m => $"v{m}"))}"
                + (matches.Count == 5 ? ", …" : "") + "). Give more hex digits, or the version number."),
        };
    }

    private static NotFoundException Unknown(string modelName, string reference) =>
        new($"Model '{modelName}' has no version, alias or commit '{AliasName.Printable(reference)}'.");

    private static bool IsNumber(string s) => s.All(char.IsAsciiDigit);

    private static bool IsHex(string s) => s.Length > 0 && s.All(char.IsAsciiHexDigit);
}

/// <summary>Resolves version references for callers without a database context of their own (the API, the dashboard).</summary>
public sealed class VersionReferences(IDbContextFactory<RegistryDbContext> dbFactory)
{
    /// <inheritdoc cref="VersionReference.ResolveAsync"/>
    public async Task<int> ResolveAsync(string modelName, string? reference, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await VersionReference.ResolveAsync(db, modelName, reference, ct);
    }
}
