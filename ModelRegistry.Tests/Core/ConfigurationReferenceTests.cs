using System.Text.Json;

namespace ModelRegistry.Tests.Core;

/// <summary>docs/configuration.md, the settings reference, names every setting appsettings.json ships with.</summary>
public sealed class ConfigurationReferenceTests
{
    private static readonly string Root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", ".."));

    /// <summary>The configuration keys of a JSON settings file, as <c>Section:Key</c> (a list is one key).</summary>
    private static IEnumerable<string> Keys(JsonElement element, string prefix) => element.ValueKind == JsonValueKind.Object
        ? element.EnumerateObject().SelectMany(p => Keys(p.Value, prefix.Length == 0 ? p.Name : $"{prefix}:{p.Name}"))
        : [prefix];

    [Fact]
    public void Every_setting_in_appsettings_json_is_in_the_reference()
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "appsettings.json")),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var reference = File.ReadAllText(Path.Combine(Root, "docs", "configuration.md"));

        var keys = Keys(settings.RootElement, "").ToList();
        var missing = keys.Where(k => !reference.Contains($"`{k}`", StringComparison.Ordinal)).ToList();

        Assert.True(keys.Count > 20, $"read only {keys.Count} keys from appsettings.json");
        Assert.True(missing.Count == 0, $"docs/configuration.md does not name {string.Join(", ", missing)}: add a row for each to its table.");
    }

    [Fact]
    public void The_upload_expiry_is_the_same_in_the_code_appsettings_json_and_the_reference()
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "appsettings.json")),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var reference = File.ReadAllText(Path.Combine(Root, "docs", "configuration.md"));

        var shipped = settings.RootElement.GetProperty("Registry").GetProperty("Artifacts").GetProperty("UploadExpiryHours").GetDouble();

        Assert.Equal(new ModelRegistry.Core.ArtifactOptions().UploadExpiryHours, shipped);
        Assert.Contains($"| `Registry:Artifacts:UploadExpiryHours` | `{shipped}` |", reference, StringComparison.Ordinal);
    }
}
