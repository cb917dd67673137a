using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace QuotaPortal.Tests.Notifications;

/// <summary>Every log line of the app at any level, with its category, as a real log sink would receive it.</summary>
public sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<(string Category, LogLevel Level, string Text)> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>A host like <paramref name="factory"/>'s (same database) whose logs all reach this capture, from Trace up.</summary>
    public WebApplicationFactory<Program> Attach(PortalFactory factory, params (string Key, string Value)[] settings) => factory.WithWebHostBuilder(b =>
    {
        foreach (var (key, value) in settings)
            b.UseSetting(key, value);
        b.ConfigureServices(s => s.AddLogging(l => l.AddProvider(this).AddFilter<LogCapture>(null, LogLevel.Trace)));
    });

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue((category, logLevel, formatter(state, exception) + (exception is null ? "" : " " + exception)));
    }
}
