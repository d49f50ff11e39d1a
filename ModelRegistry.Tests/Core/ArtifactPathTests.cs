using System.Text.RegularExpressions;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Common;

namespace ModelRegistry.Tests.Core;

public sealed class ArtifactPathTests
{
    [Theory]
    [InlineData("model.safetensors")]
    [InlineData("model-00001-of-00004.safetensors")]
    [InlineData("tokenizer/tokenizer.json")]
    [InlineData("a/b/c/d/config.json")]
    [InlineData(".gitattributes")]
    [InlineData("weights..v2.bin")]
    [InlineData("Modèle ünïcode.txt")]
    [InlineData("日本語/モデル.gguf")]
    [InlineData("name with spaces (1).json")]
    public void Ordinary_relative_paths_are_kept(string path)
    {
        Assert.Equal(path.Normalize(), ArtifactPath.Normalize(path));
    }

    [Fact]
    public void Paths_are_stored_in_unicode_normal_form()
    {
        Assert.Equal("caf\u00e9.json", ArtifactPath.Normalize("cafe\u0301.json"));
    }

    /// <summary>Invisible characters are written {U+XXXX}, so test names stay printable (control characters break the JUnit report).</summary>
    public static TheoryData<string, string> Bad() => new()
    {
        { "empty", "" },
        { "parent", ".." },
        { "parent segment", "../etc/passwd" },
        { "inner parent", "a/../../b" },
        { "current", "./a" },
        { "trailing dot segment", "a/." },
        { "percent-encoded dots", "%2e%2e/x" },
        { "double-encoded dots", "%252e%252e/x" },
        { "encoded slash", "a%2Fb" },
        { "backslash", "a\\b" },
        { "windows traversal", "..\\..\\x" },
        { "leading slash", "/etc/passwd" },
        { "drive letter", "C:/Windows/x" },
        { "drive relative", "c:x" },
        { "alternate data stream", "a.txt:stream" },
        { "empty segment", "a//b" },
        { "trailing slash", "a/" },
        { "semicolon", "a;b" },
        { "nul", "a{U+0000}b" },
        { "newline", "a{U+000A}b" },
        { "delete", "a{U+007F}b" },
        { "c1 control", "a{U+0085}b" },
        { "bidi override", "a{U+202E}b" },
        { "zero width", "a{U+200B}b" },
        { "lone surrogate", "a{U+D800}b" },
        { "trailing dot", "weights.bin." },
        { "trailing space", "weights.bin " },
        { "trailing dots", "weights.bin..." },
        { "folder with a trailing dot", "weights./model.bin" },
        { "folder with a trailing space", "weights /model.bin" },
        { "trailing no-break space", "weights.bin{U+00A0}" },
        { "line separator", "a{U+2028}b" },
        { "paragraph separator", "a{U+2029}b" },
        { "too long", new string('a', 301) },
        { "segment too long", new string('a', 256) },
        { "too many folders", string.Join('/', Enumerable.Repeat("a", 33)) },
    };

    [Theory]
    [MemberData(nameof(Bad))]
    public void Unsafe_paths_are_refused(string what, string path)
    {
        var raw = Regex.Replace(path, @"\{U\+([0-9A-F]{4})\}", m => ((char)Convert.ToInt32(m.Groups[1].Value, 16)).ToString());

        var e = Assert.Throws<ValidationFailedException>(() => ArtifactPath.Normalize(raw));

        Assert.True(e.Errors.ContainsKey("path"), what);
    }
}
