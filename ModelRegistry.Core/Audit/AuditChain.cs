using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace ModelRegistry.Core.Audit;

/// <summary>
/// The hash chain of the audit trail. The canonical form of an event is the UTF-8 JSON object
/// <c>{"sequence":…,"time":"…","actorId":"…","actorName":"…","action":"…","entityType":"…","entityId":"…","modelName":…,"data":…,"previousHash":"…"}</c>
/// with the keys in exactly that order, no whitespace, <c>time</c> as UTC ISO-8601 with 7 fractional
/// digits and a trailing Z, <c>data</c> as the stored JSON text embedded verbatim, and <c>modelName</c>
/// null when absent. <c>hash</c> = lowercase hex SHA-256 of those bytes. The first event's
/// <c>previousHash</c> is <see cref="GenesisHash"/>. An outside tool can re-verify an export with this rule.
/// </summary>
public static class AuditChain
{
    /// <summary>The previous hash of event 1: 64 zeros.</summary>
    public static readonly string GenesisHash = new('0', 64);

    public static string ComputeHash(long sequence, DateTimeOffset time, string actorId, string actorName, string action,
        string entityType, string entityId, string? modelName, string data, string previousHash)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        ComputeHash(sequence, time, actorId, actorName, action, entityType, entityId, modelName, data, previousHash, hash,
            validateData: true);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// Writes the SHA-256 of the event's canonical form into <paramref name="destination"/>, reusing one buffer per thread
    /// (the verifier hashes a million events without a million buffers). Recording validates <paramref name="data"/>;
    /// the verifier does not, so stored data that is not JSON shows as a broken hash rather than an exception.
    /// </summary>
    internal static void ComputeHash(long sequence, DateTimeOffset time, string actorId, string actorName, string action,
        string entityType, string entityId, string? modelName, string data, string previousHash, Span<byte> destination,
        bool validateData)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(2048);
        buffer.ResetWrittenCount();
        var json = t_writer ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, SkipValidation = false });
        json.Reset(buffer);
        json.WriteStartObject();
        json.WriteNumber(Names.Sequence, sequence);
        Span<char> timeText = stackalloc char[28];
        json.WriteString(Names.Time, FormatTime(time, timeText));
        json.WriteString(Names.ActorId, actorId);
        json.WriteString(Names.ActorName, actorName);
        json.WriteString(Names.Action, action);
        json.WriteString(Names.EntityType, entityType);
        json.WriteString(Names.EntityId, entityId);
        if (modelName is null)
        {
            json.WriteNull(Names.ModelName);
        }
        else
        {
            json.WriteString(Names.ModelName, modelName);
        }

        json.WritePropertyName(Names.Data);
        json.WriteRawValue(data, skipInputValidation: !validateData);
        json.WriteString(Names.PreviousHash, previousHash);
        json.WriteEndObject();
        json.Flush();
        SHA256.HashData(buffer.WrittenSpan, destination);
    }

    /// <summary>Whether <paramref name="hex"/> (as stored) spells <paramref name="hash"/> in lowercase hex.</summary>
    internal static bool Matches(string hex, ReadOnlySpan<byte> hash)
    {
        Span<char> expected = stackalloc char[SHA256.HashSizeInBytes * 2];
        return Convert.TryToHexStringLower(hash, expected, out var written) && hex.AsSpan().SequenceEqual(expected[..written]);
    }

    /// <summary>The canonical form's keys, encoded once (they are plain ASCII: encoding changes no byte).</summary>
    private static class Names
    {
        public static readonly JsonEncodedText Sequence = JsonEncodedText.Encode("sequence");
        public static readonly JsonEncodedText Time = JsonEncodedText.Encode("time");
        public static readonly JsonEncodedText ActorId = JsonEncodedText.Encode("actorId");
        public static readonly JsonEncodedText ActorName = JsonEncodedText.Encode("actorName");
        public static readonly JsonEncodedText Action = JsonEncodedText.Encode("action");
        public static readonly JsonEncodedText EntityType = JsonEncodedText.Encode("entityType");
        public static readonly JsonEncodedText EntityId = JsonEncodedText.Encode("entityId");
        public static readonly JsonEncodedText ModelName = JsonEncodedText.Encode("modelName");
        public static readonly JsonEncodedText Data = JsonEncodedText.Encode("data");
        public static readonly JsonEncodedText PreviousHash = JsonEncodedText.Encode("previousHash");
    }

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    public static string ComputeHash(AuditEvent e) => ComputeHash(e.Sequence, e.Time, e.ActorId, e.ActorName, e.Action,
        e.EntityType, e.EntityId, e.ModelName, e.Data, e.PreviousHash);

    /// <summary>
    /// The time of an event as the trail keeps it: UTC, whole milliseconds. Every writer hashes this value, because
    /// the database keeps less than full precision (SQLite's mapping truncates to 0.1 ms) and an event must verify
    /// against the time that reads back.
    /// </summary>
    public static DateTimeOffset StoredTime(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    /// <summary>UTC, 7 fractional digits, trailing Z: the one spelling of a time in the canonical form.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    private static ReadOnlySpan<char> FormatTime(DateTimeOffset time, Span<char> destination) =>
        time.UtcDateTime.TryFormat(destination, out var written, TimeFormat, CultureInfo.InvariantCulture)
            ? destination[..written]
            : FormatTime(time);

    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    /// <summary>Checks events (ordered by sequence, starting at 1) and returns the first broken sequence, or null.</summary>
    public static long? FindFirstBreak(IEnumerable<AuditEvent> orderedEvents)
    {
        var expectedPrevious = GenesisHash;
        var expectedSequence = 1L;
        foreach (var e in orderedEvents)
        {
            if (e.Sequence != expectedSequence || e.PreviousHash != expectedPrevious || ComputeHash(e) != e.Hash)
            {
                return expectedSequence;
            }

            expectedPrevious = e.Hash;
            expectedSequence++;
        }

        return null;
    }
}
