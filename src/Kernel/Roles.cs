namespace QuotaPortal.Kernel;

public static class Roles
{
    public const string Admin = "Admin";
    public const string Viewer = "Viewer";
    public static readonly string[] All = [Admin, Viewer];
}
