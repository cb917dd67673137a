namespace QuotaPortal.Kernel;

/// <summary>Conversion between stored nano-dollars and the <see cref="decimal"/> the rest of the code uses.</summary>
public static class Money
{
    public const decimal NanosPerUnit = 1_000_000_000m;

    public static decimal FromNanos(long nanos) => nanos / NanosPerUnit;

    public static long ToNanos(decimal amount) => (long)decimal.Round(amount * NanosPerUnit, MidpointRounding.AwayFromZero);
}
