namespace QuotaPortal.Kernel;

public static class Policies
{
    /// <summary>Changes anything: Admin users and admin-scoped API keys.</summary>
    public const string Admin = "Admin";
    /// <summary>Reads spend: signed-in users and read-capable keys; what each sees is its <see cref="AccessScope"/>.</summary>
    public const string Reader = "Reader";
    /// <summary>Asks quota questions (status, quota check): every reader plus <c>ingest:*</c> gateway keys.</summary>
    public const string Quota = "Quota";
    /// <summary>Writes usage: API keys with an ingest (or admin) scope.</summary>
    public const string Ingest = "Ingest";
}
