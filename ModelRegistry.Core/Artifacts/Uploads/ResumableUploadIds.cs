using System.Security.Cryptography;
using ModelRegistry.Core.Common;

namespace ModelRegistry.Core.Artifacts.Uploads;

/// <summary>Upload ids: 128 random bits as 32 lowercase hex digits. Only such a string ever becomes part of a file name or key.</summary>
public static class ResumableUploadIds
{
    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(ResumableUpload.IdLength / 2));

    public static bool IsValid(string? id) => id is { Length: ResumableUpload.IdLength } && id.All(char.IsAsciiHexDigitLower);

    /// <summary>The id, or 404 for anything that cannot be one (it names no upload).</summary>
    public static string Require(string? id) => IsValid(id) ? id! : throw new NotFoundException("No such upload.");
}
