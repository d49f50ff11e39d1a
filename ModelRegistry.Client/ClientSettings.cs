using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace ModelRegistry.Client;

/// <summary>
/// The registry's URL and the API token, as <c>mreg login</c> stored them in <c>config.json</c> of the user's config
/// directory (readable by the user only: mode 0600 in a 0700 directory); <c>MREG_URL</c> and <c>MREG_TOKEN</c> override.
/// </summary>
internal sealed record ClientSettings(Uri Url, string? Token)
{
    public const string FileName = "config.json";

    private static readonly JsonSerializerOptions Indented = new(MregJson.Settings) { WriteIndented = true };

    /// <summary>config.json as stored.</summary>
    internal sealed record Stored([property: JsonPropertyName("url")] string? Url, [property: JsonPropertyName("token")] string? Token);

    public static string PathIn(MregEnvironment env) => Path.Combine(env.ConfigDirectory, FileName);

    /// <summary>The settings in force: environment first, then the file; no URL anywhere is a usage error.</summary>
    public static ClientSettings Load(MregEnvironment env)
    {
        var stored = Read(PathIn(env));
        var url = env.Variables("MREG_URL") is { Length: > 0 } u ? u : stored?.Url;
        var token = env.Variables("MREG_TOKEN") is { Length: > 0 } t ? t : stored?.Token;
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new MregException(ExitCodes.Usage, "No registry set: run 'mreg login --url URL --token TOKEN' or set MREG_URL and MREG_TOKEN.");
        }

        return new ClientSettings(ParseUrl(url), string.IsNullOrWhiteSpace(token) ? null : token.Trim());
    }

    /// <summary>An absolute http(s) URL, kept with a trailing slash so the API's relative routes resolve under it.</summary>
    public static Uri ParseUrl(string url)
    {
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps))
        {
            throw new MregException(ExitCodes.Usage, $"'{url}' is not an http or https URL.");
        }

        var text = parsed.GetLeftPart(UriPartial.Path);
        return new Uri(text.EndsWith('/') ? text : text + "/");
    }

    /// <summary>Writes the file readable and writable by the user only (0600 on Unix, set before any byte is written).</summary>
    public void Save(MregEnvironment env)
    {
        var directory = env.ConfigDirectory;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var path = PathIn(env);
        var json = JsonSerializer.SerializeToUtf8Bytes(new Stored(Url.ToString(), Token), (JsonTypeInfo<Stored>)Indented.GetTypeInfo(typeof(Stored)));
        PrivateFile.Write(path, json);
    }

    private static Stored? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), MregJson.Info<Stored>());
        }
        catch (JsonException e)
        {
            throw new MregException(ExitCodes.Usage, $"{path} is not valid JSON ({e.Message}); run 'mreg login' again.");
        }
    }
}

/// <summary>Files only their owner may read: settings with a token, resume state naming upload URLs.</summary>
internal static class PrivateFile
{
    /// <summary>Replaces <paramref name="path"/> atomically with <paramref name="content"/>, created with mode 0600.</summary>
    public static void Write(string path, byte[] content)
    {
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
