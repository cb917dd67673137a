using QuotaPortal.Kernel;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using QuotaPortal.Alerts;
using QuotaPortal.Reports;
using QuotaPortal.Budgets;
using QuotaPortal.Forecasting;
using QuotaPortal.ApiKeys;
using QuotaPortal.Notifications;
using QuotaPortal.Teams;
using QuotaPortal.Tests.Notifications;

namespace QuotaPortal.Tests.Reports;

public sealed class ReportTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await factory.EnsureUsersAsync();
        var teams = factory.Service<TeamService>();
        if (await teams.FindTeamAsync("writers", Ct) is not null)
            return;
        await teams.CreateTeamAsync(new TeamInput("Writers", "writers", null, null, null), AccessScope.System.WithActor("test"), Ct);
        await teams.CreateTeamAsync(new TeamInput("Coders", "coders", null, null, null), AccessScope.System.WithActor("test"), Ct);
        var ingest = await factory.IngestClientAsync("ingest:*");
        var now = factory.Time.GetUtcNow();
        // Last week (Mon 16 – Sun 22 Nov): writers $2/day on gpt-4o, coders $1/day on gpt-4o-mini-priced tokens; the week before: writers $1/day.
        var records = new List<object>();
        for (var d = 1; d <= 14; d++)
        {
            var at = now.AddDays(-d);
            records.Add(new { team = "writers", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens = d <= 7 ? 400_000 : 200_000, outputTokens = 0, timestamp = at });
            if (d <= 7)
                records.Add(new { team = "coders", provider = "anthropic", model = "claude-sonnet-4", apiMethod = "messages", inputTokens = 0, outputTokens = 0, cost = 1.0m, timestamp = at });
        }
        (await ingest.PostAsJsonAsync("/api/v1/usage", records, Ct)).EnsureSuccessStatusCode();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Weekly_report_sums_the_week_compares_it_with_the_one_before_and_exports_csv()
    {
        var viewer = await factory.SignedInClientAsync(PortalFactory.ViewerEmail);
        var report = await viewer.GetFromJsonAsync<JsonElement>("/api/v1/reports/weekly?date=2026-11-18", Ct);

        Assert.Equal("2026-11-16", report.GetProperty("from").GetString());
        Assert.Equal("2026-11-22", report.GetProperty("to").GetString());
        Assert.Equal(21m, report.GetProperty("total").GetDecimal());
        Assert.Equal(7m, report.GetProperty("previousTotal").GetDecimal());
        Assert.Equal(3m, report.GetProperty("dailyAverage").GetDecimal());
        Assert.Equal("increasing", report.GetProperty("trend").GetString());
        var teams = report.GetProperty("topTeams");
        Assert.Equal("Writers", teams[0].GetProperty("name").GetString());
        Assert.Equal(66.7, teams[0].GetProperty("sharePercent").GetDouble());
        Assert.Equal(["gpt-4o", "claude-sonnet-4"], report.GetProperty("modelMix").EnumerateArray().Select(m => m.GetProperty("name").GetString()));

        var csv = await viewer.GetAsync("/api/v1/reports/weekly?date=2026-11-18&format=csv", Ct);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var text = await csv.Content.ReadAsStringAsync(Ct);
        Assert.Contains("summary,total_usd,21.00", text);
        Assert.Contains("top_team,Writers,14.00,66.7", text);

        var bad = await viewer.GetAsync("/api/v1/reports/hourly?format=xml", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty("kind", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("format", out _));
        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.CreateClient().GetAsync("/api/v1/reports/daily", Ct)).StatusCode);
    }

    [Fact]
    public async Task Scheduled_daily_and_weekly_reports_are_mailed_once()
    {
        await using var smtp = new SmtpSink();
        var channel = (await factory.Service<NotificationChannels>().SaveAsync(new NotificationChannel(Guid.Empty, "Exec mail", ChannelKind.Email,
            $"smtp://127.0.0.1:{smtp.Port}", null, AlertSeverity.Critical, [], true, "cfo@example.com"), AccessScope.System.WithActor("admin"), Ct)).Value!;
        var mailer = factory.Service<ReportMailer>();
        Assert.Empty(await mailer.SendDueAsync(Ct));

        await factory.Service<ReportSchedule>().SaveAsync(new ReportScheduleSettings(true, true, [channel.Id], HourUtc: 7), AccessScope.System.WithActor("admin"), Ct);
        var sent = await mailer.SendDueAsync(Ct);

        Assert.Equal(["Daily 2026-11-22", "Weekly 2026-11-16"], sent);
        Assert.Empty(await mailer.SendDueAsync(Ct));
        var mails = smtp.Messages.ToList();
        Assert.Equal(2, mails.Count);
        Assert.All(mails, m => Assert.Equal(["cfo@example.com"], m.To));
        var parsed = mails.Select(m => MimeKit.MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(m.Data)))).ToList();
        Assert.Equal("[QuotaPortal] Daily report · 2026-11-22", parsed[0].Subject);
        Assert.Contains("Total: $3.00", parsed[0].TextBody);
        Assert.Equal("[QuotaPortal] Weekly report · 2026-11-16 – 2026-11-22", parsed[1].Subject);
        Assert.Contains("Total: $21.00", parsed[1].TextBody);
        Assert.Contains("Writers", parsed[1].TextBody);
    }
}
