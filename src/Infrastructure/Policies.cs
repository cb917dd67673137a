namespace QuotaPortal.Infrastructure;

public static class Policies
{
    /// <summary>Changes anything: Admin users and admin-scoped API keys.</summary>
    public const string Admin = "Admin";
    /// <summary>Reads dashboards and reports: any signed-in user.</summary>
    public const string Reader = "Reader";
    /// <summary>Writes usage: API keys with an ingest (or admin) scope.</summary>
    public const string Ingest = "Ingest";
}
