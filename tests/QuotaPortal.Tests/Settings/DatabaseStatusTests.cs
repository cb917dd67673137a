using QuotaPortal.Settings;

namespace QuotaPortal.Tests.Settings;

public sealed class DatabaseStatusTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task The_settings_page_names_the_database_it_runs_on_and_never_its_password()
    {
        var status = await factory.Service<DatabaseStatusService>().GetAsync(TestContext.Current.CancellationToken);

        Assert.StartsWith(TestDatabase.IsPostgres ? "PostgreSQL 127.0.0.1:" : "SQLite /", status.DataSource);
        Assert.DoesNotContain("Password", status.DataSource, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Username", status.DataSource, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, status.PendingMigrations);
        Assert.True(status.AppliedMigrations >= 1);
    }
}
