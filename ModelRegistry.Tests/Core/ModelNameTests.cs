using ModelRegistry.Core.Common;
using ModelRegistry.Core.Models;

namespace ModelRegistry.Tests.Core;

public sealed class ModelNameTests
{
    [Theory]
    [InlineData("llama")]
    [InlineData("a")]
    [InlineData("7b")]
    [InlineData("llama-3.1-8b-instruct")]
    [InlineData("mistral_7b.q4_k_m")]
    [InlineData("a.b")]
    [InlineData("x-")]
    public void Lowercase_slug_is_a_valid_name(string name)
    {
        Assert.True(ModelName.IsValid(name));
        Assert.Equal(name, ModelName.Validate(name));
    }

    [Fact]
    public void Name_of_exactly_100_characters_is_valid()
    {
        Assert.True(ModelName.IsValid(new string('a', 100)));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("has space", "space")]
    [InlineData(" llama", "leading space")]
    [InlineData("llama ", "trailing space")]
    [InlineData("Llama", "capital")]
    [InlineData("LLAMA", "capitals")]
    [InlineData("llama..chat", "double dot")]
    [InlineData("..", "only dots")]
    [InlineData("meta/llama", "slash")]
    [InlineData("meta\\llama", "backslash")]
    [InlineData("-llama", "leading dash")]
    [InlineData(".llama", "leading dot")]
    [InlineData("_llama", "leading underscore")]
    [InlineData("llamä", "non-ASCII letter")]
    [InlineData("llama:chat", "colon")]
    [InlineData("llama%2f", "percent escape")]
    [InlineData("new", "reserved: it is the dashboard route /models/new")]
    public void Name_breaking_the_rule_is_refused_with_the_rule_spelled_out(string name, string why)
    {
        Assert.False(ModelName.IsValid(name), why);
        var error = Assert.Throws<ValidationFailedException>(() => ModelName.Validate(name));
        Assert.Contains(ModelName.Rule, error.Message);
        Assert.True(error.Errors.ContainsKey("name"));
    }

    // Code points rather than the characters themselves: test names end up in XML reports, where most can't go.
    [Theory]
    [InlineData(0x00)]
    [InlineData(0x09)]
    [InlineData(0x0A)]
    [InlineData(0x1B)]
    [InlineData(0x7F)]
    [InlineData(0x85)]
    public void Name_with_a_control_character_is_refused(int codePoint)
    {
        var name = $"llama{(char)codePoint}chat";

        Assert.False(ModelName.IsValid(name));
        var error = Assert.Throws<ValidationFailedException>(() => ModelName.Validate(name));
        Assert.DoesNotContain((char)codePoint, error.Message);
    }

    [Fact]
    public void Name_of_101_characters_is_refused()
    {
        var name = new string('a', 101);
        Assert.False(ModelName.IsValid(name));
        Assert.Throws<ValidationFailedException>(() => ModelName.Validate(name));
    }

    [Fact]
    public void Missing_name_is_refused()
    {
        Assert.False(ModelName.IsValid(null));
        Assert.Throws<ValidationFailedException>(() => ModelName.Validate(null));
    }

    [Fact]
    public void Refusal_of_a_name_with_control_characters_does_not_echo_them()
    {
        var error = Assert.Throws<ValidationFailedException>(() => ModelName.Validate("bad\u001b[31mname"));
        Assert.DoesNotContain('\u001b', error.Message);
    }
}
