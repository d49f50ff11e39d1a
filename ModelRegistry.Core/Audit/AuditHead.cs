using System.Globalization;
using ModelRegistry.Core.Common;

namespace ModelRegistry.Core.Audit;

/// <summary>
/// The chain head: the newest event's sequence and hash. Kept somewhere the registry cannot write (an auditor's notes,
/// another system through the <c>audit.head</c> webhook), it later proves that the log up to that event was neither
/// rewritten nor cut short — which the chain alone cannot show for its newest events. Written <c>SEQUENCE:HASH</c>.
/// </summary>
public sealed record AuditHead(long Sequence, string Hash)
{
    /// <summary>The head of an empty log.</summary>
    public static AuditHead Empty { get; } = new(0, AuditChain.GenesisHash);

    public override string ToString() => Sequence.ToString(CultureInfo.InvariantCulture) + ":" + Hash;

    /// <summary>Reads <c>SEQUENCE:HASH</c> (hex in either case); 400 naming <paramref name="field"/> for anything else.</summary>
    public static AuditHead Parse(string field, string text)
    {
        var parts = text.Split(':');
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            || parts[1].Length != 64
            || !parts[1].All(char.IsAsciiHexDigit))
        {
            throw ValidationFailedException.For(field, $"{field} must be SEQUENCE:HASH, an event's sequence number and its " +
                "64-digit hex SHA-256 as verify reports them in head (e.g. 42:3f7a…), not '" + Shorten(text) + "'.");
        }

        return new AuditHead(sequence, parts[1].ToLowerInvariant());
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}

/// <summary>What became of a head kept from an earlier verification.</summary>
public enum ExpectedHeadStatus
{
    /// <summary>The log still holds that event with that hash: nothing up to it was rewritten or removed.</summary>
    Present,

    /// <summary>The log ends before that event: its newest events were cut off.</summary>
    Missing,

    /// <summary>The log holds another event under that sequence: it was rewritten, or cut and written on.</summary>
    Different,
}

/// <summary>A kept head and what the verification found at its sequence.</summary>
public sealed record ExpectedHeadCheck(AuditHead Head, ExpectedHeadStatus Status);
