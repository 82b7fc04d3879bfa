using Kuma.Validation;

namespace Kuma.Tests.Unit;

/// <summary>Integer fields read numbers as protobuf's JSON mapping does: any notation of an integral value.</summary>
public sealed class JsonIntegersTests
{
    [Theory]
    [InlineData("8080", "8080")]
    [InlineData("8080.0", "8080")]
    [InlineData("1e2", "100")]
    [InlineData("1E+2", "100")]
    [InlineData("150e-1", "15")]
    [InlineData("-0", "0")]
    [InlineData("0.000e999999999999999999", "0")]
    [InlineData("-12.50e1", "-125")]
    public void An_integral_value_reads_as_its_integer(string text, string expected)
    {
        Assert.Equal(JsonIntegers.Reading.Integer, JsonIntegers.TryRead(text, out var value));
        Assert.Equal(expected, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("1.5", JsonIntegers.Reading.NotInteger)]
    [InlineData("1e-400", JsonIntegers.Reading.NotInteger)]
    [InlineData("1e-99999999999999999999", JsonIntegers.Reading.NotInteger)]
    [InlineData("1e400", JsonIntegers.Reading.TooLarge)]
    [InlineData("1e99999999999999999999", JsonIntegers.Reading.TooLarge)]
    [InlineData("123456789012345678901", JsonIntegers.Reading.TooLarge)]
    public void Anything_else_is_refused_without_building_it(string text, JsonIntegers.Reading expected) =>
        Assert.Equal(expected, JsonIntegers.TryRead(text, out _));
}
