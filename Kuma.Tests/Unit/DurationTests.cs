using Kuma.Validation;

namespace Kuma.Tests.Unit;

public sealed class DurationTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("0s", 0)]
    [InlineData("500ms", 500)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1.5s", 1500)]
    [InlineData("2h0m0s", 7_200_000)]
    [InlineData("-5s", -5000)]
    public void Go_durations_parse(string text, long milliseconds)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("s")]
    [InlineData("5 s")]
    [InlineData("5d")]
    [InlineData("1h-5m")]
    public void Other_text_does_not(string text) => Assert.False(Durations.TryParse(text, out _));
}
