using System.Diagnostics;

namespace QuotaPortal.Tests.Otlp;

/// <summary>GenAI spans as an instrumented app makes them: an ActivitySource, semantic-convention tags, start and end times given.</summary>
public static class GenAiActivities
{
    public static Activity Call(ActivitySource source, DateTimeOffset start, TimeSpan duration, params (string Key, object Value)[] tags)
    {
        var activity = source.StartActivity("chat", ActivityKind.Client, default(ActivityContext),
            tags.Select(t => new KeyValuePair<string, object?>(t.Key, t.Value)), null, start)
            ?? throw new InvalidOperationException($"nothing listens to {source.Name}");
        activity.SetEndTime(start.Add(duration).UtcDateTime);
        return activity;
    }

    public static string KeyOf(Activity a) => $"otlp:{a.TraceId.ToHexString()}:{a.SpanId.ToHexString()}";
}
