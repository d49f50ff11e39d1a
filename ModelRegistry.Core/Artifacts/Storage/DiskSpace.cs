namespace ModelRegistry.Core.Artifacts.Storage;

/// <summary>Recognises "the disk is full" among I/O failures, so it can be answered with 507 rather than 500.</summary>
internal static class DiskSpace
{
    // Linux/macOS: the raw errno is the HResult (ENOSPC 28, EDQUOT 122 on Linux, 69 on macOS).
    // Windows: HRESULT_FROM_WIN32 of ERROR_HANDLE_DISK_FULL (39) and ERROR_DISK_FULL (112).
    private static readonly HashSet<int> FullCodes = [28, 122, 69, unchecked((int)0x80070027), unchecked((int)0x80070070)];

    public static bool IsFull(IOException e) =>
        FullCodes.Contains(e.HResult) && (e.HResult != 69 || OperatingSystem.IsMacOS());

    /// <summary>
    /// Whether a failed preallocation of <paramref name="bytes"/> in <paramref name="directory"/> was for want of space:
    /// .NET reports it with a generic I/O HResult, so ask the file system how much is free.
    /// </summary>
    public static bool CannotHold(string directory, long bytes)
    {
        try
        {
            return new DriveInfo(directory).AvailableFreeSpace < bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }
}
