using Microsoft.Extensions.Logging.Abstractions;
using QuotaPortal.Kernel;

namespace QuotaPortal.Tests.Kernel;

public sealed class ChangeNotifierTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void An_inline_subscriber_hears_the_change_before_Publish_returns_and_nothing_after_disposing()
    {
        var notifier = new ChangeNotifier<int>(NullLogger.Instance);
        var heard = new List<int>();
        var subscription = notifier.SubscribeInline(heard.Add);

        notifier.Publish(1);
        subscription.Dispose();
        notifier.Publish(2);

        Assert.Equal([1], heard);
    }

    [Fact]
    public async Task A_failing_subscriber_does_not_keep_the_others_from_hearing_the_change()
    {
        var notifier = new ChangeNotifier<string>(NullLogger.Instance);
        var heard = new TaskCompletionSource<string>();
        using var failing = notifier.SubscribeInline(_ => throw new InvalidOperationException("broken page"));
        using var broken = notifier.Subscribe(_ => throw new InvalidOperationException("broken page"));
        using var working = notifier.Subscribe(change =>
        {
            heard.TrySetResult(change);
            return Task.CompletedTask;
        });

        notifier.Publish("alert raised");

        Assert.Equal("alert raised", await heard.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct));
    }
}
