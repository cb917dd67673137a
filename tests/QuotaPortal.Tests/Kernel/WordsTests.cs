using QuotaPortal.Kernel;

namespace QuotaPortal.Tests.Kernel;

public class WordsTests
{
    private enum Sample { RateLimit, IngestionGap, ApiMethod, Daily, LlmCall }

    [Theory]
    [InlineData(Sample.RateLimit, "Rate limit")]
    [InlineData(Sample.IngestionGap, "Ingestion gap")]
    [InlineData(Sample.ApiMethod, "API method")]
    [InlineData(Sample.Daily, "Daily")]
    [InlineData(Sample.LlmCall, "LLM call")]
    public void Enum_values_read_as_words(object value, string expected) => Assert.Equal(expected, Words.Of((Sample)value));

    [Fact]
    public void Counts_take_the_right_number() =>
        Assert.Equal(["1 budget", "2 budgets", "1,200 budgets", "0 days", "1 day"],
            [Words.Count(1, "budget"), Words.Count(2, "budget"), Words.Count(1200, "budget"), Words.Count(0, "day"), Words.Count(1, "day")]);
}
