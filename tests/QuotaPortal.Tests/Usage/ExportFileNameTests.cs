namespace QuotaPortal.Tests.Usage;

public sealed class ExportFileNameTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Export_file_is_named_after_the_portal_clock()
    {
        var ct = Xunit.TestContext.Current.CancellationToken;
        await factory.EnsureUsersAsync();
        factory.Time.Advance(TimeSpan.FromMinutes(90));     // the fake clock: 2026-11-23 11:30 UTC, whatever the machine's date
        var admin = await factory.SignedInClientAsync(PortalFactory.AdminEmail);

        var response = await admin.GetAsync("/api/v1/usage/export?format=json", ct);

        Assert.Equal("usage-20261123-1130.json", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
    }
}
