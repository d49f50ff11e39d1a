using ModelRegistry.Core.Aliases;
using ModelRegistry.Core.Common;

namespace ModelRegistry.Tests.Core;

/// <summary>
/// The alias name rule: a lowercase slug of at most 63 characters, never one that already means a version reference
/// (latest, a stage, a Hub revision, v12), and never one with something after it ("champion\n").
/// </summary>
public sealed class AliasNameTests
{
    [Theory]
    [InlineData("champion")]
    [InlineData("c")]
    [InlineData("prod-eu-2")]
    [InlineData("release-candidate")]
    [InlineData("v")]
    [InlineData("v2-beta")]
    [InlineData("version3")]
    [InlineData("deadbeefcafe")]
    public void Legal_names_are_accepted_as_they_are(string name) => Assert.Equal(name, AliasName.Validate(name));

    [Fact]
    public void Sixty_three_characters_is_the_longest_name()
    {
        var longest = "a" + new string('b', 62);

        Assert.Equal(longest, AliasName.Validate(longest));
        AssertRefused(longest + "c");
    }

    [Theory]
    [InlineData("latest")]
    [InlineData("main")]
    [InlineData("production")]
    [InlineData("staging")]
    [InlineData("archived")]
    [InlineData("v1")]
    [InlineData("v12")]
    [InlineData("v0")]
    [InlineData("v0042")]
    public void Reserved_names_are_refused_as_reserved(string name)
    {
        var refused = AssertRefused(name);

        Assert.Contains("reserved", refused.Errors["alias"][0]);
    }

    [Theory]
    [InlineData("Champion")]
    [InlineData("CHAMPION")]
    [InlineData("Latest")]
    [InlineData("3")]
    [InlineData("3rd")]
    [InlineData("-champion")]
    [InlineData("champion_2")]
    [InlineData("champion.2")]
    [InlineData("champion/2")]
    [InlineData("champion 2")]
    [InlineData("champion\n")]
    [InlineData("champion\r\n")]
    [InlineData("champion\u2028")]
    [InlineData(" champion")]
    [InlineData("champion ")]
    [InlineData("chämpion")]
    [InlineData("")]
    [InlineData(null)]
    public void Other_names_are_refused_with_the_rule(string? name)
    {
        var refused = AssertRefused(name);

        Assert.Contains("lowercase letters, digits or '-'", refused.Errors["alias"][0]);
    }

    [Fact]
    public void A_refused_name_is_quoted_without_its_line_breaks()
    {
        var refused = AssertRefused("champion\nX-Injected: yes");

        Assert.DoesNotContain('\n', refused.Message);
        Assert.Contains("champion?X-Injected", refused.Message);
    }

    private static ValidationFailedException AssertRefused(string? name)
    {
        var refused = Assert.Throws<ValidationFailedException>(() => AliasName.Validate(name));
        Assert.True(refused.Errors.ContainsKey("alias"), "the problem names the field 'alias'");
        Assert.False(AliasName.IsValid(name));
        return refused;
    }
}
