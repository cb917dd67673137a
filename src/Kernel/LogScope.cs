using System.Collections;

namespace QuotaPortal.Kernel;

/// <summary>
/// A one-property logging scope: the JSON console writes it as <c>"Scopes":[{"Message":"TickId:3f2a…","TickId":"3f2a…"}]</c>, the
/// plain console as <c>=> TickId:3f2a…</c>. Every logger of the process shares the scope, so a step's own log lines carry it too.
/// </summary>
public sealed class LogScope(string name, string value) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public string Value => value;

    public int Count => 1;

    public KeyValuePair<string, object?> this[int index] =>
        index == 0 ? new(name, value) : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"{name}:{value}";

    /// <summary>A short random id (12 hex digits) for a unit of background work, such as one evaluation tick.</summary>
    public static string NewId() => Convert.ToHexStringLower(Guid.NewGuid().ToByteArray(), 0, 6);
}
