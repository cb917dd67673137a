using Microsoft.AspNetCore.Identity;

namespace QuotaPortal.Data;

public class ApplicationUser : IdentityUser
{
    public string? DisplayName { get; set; }
    /// <summary>Null follows the browser; otherwise the user's remembered choice.</summary>
    public bool? PrefersDarkMode { get; set; }
    /// <summary>IANA zone the viewer reads times in; null uses the portal default.</summary>
    public string? TimeZone { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? LastSignInAt { get; set; }
}
