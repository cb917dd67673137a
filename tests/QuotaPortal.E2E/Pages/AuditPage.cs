using Microsoft.Playwright;

namespace QuotaPortal.E2E.Pages;

/// <summary>The audit log at /audit.</summary>
public sealed class AuditPage(IPage page) : PortalPage(page)
{
    public static Task<AuditPage> OpenAsync(IPage page) => OpenAsync(page, "/audit", p => new AuditPage(p));

    public ILocator Grid => Page.Locator("[data-testid=audit-grid]");
}
