using MudBlazor;

namespace QuotaPortal.Components.Layout;

/// <summary>
/// The portal's colours. Every text/background pair reaches WCAG AA (4.5:1), checked by the axe scan in the browser tests
/// (AccessibilityTests): the light teal is darker than Material's 600 (4.0:1 on the page background), and in the dark theme the
/// light filled colours (periwinkle buttons, amber and red chips) carry dark text instead of white (2.5:1 and less).
/// </summary>
public static class PortalTheme
{
    private const string DarkInk = "rgba(0,0,0,0.87)";

    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#3f51b5",
            Secondary = "#00796b",
            AppbarBackground = "#283593",
            Background = "#f5f6fa",
            DrawerBackground = "#ffffff",
            Warning = "#b45309",
            Success = "#2e7d32",
            Info = "#01579b",
            Error = "#c62828",
            // Material's 0.54 grey is 4.45:1 on the page background (field labels on a page, not in a card); 0.62 is 5.3:1.
            TextSecondary = "rgba(0,0,0,0.62)",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#8c9eff",
            PrimaryContrastText = DarkInk,
            Secondary = "#4db6ac",
            SecondaryContrastText = DarkInk,
            WarningContrastText = DarkInk,
            ErrorContrastText = DarkInk,
            SuccessContrastText = DarkInk,
            InfoContrastText = DarkInk,
            AppbarBackground = "#1a1a27",
            Background = "#121218",
            Surface = "#1e1e2a",
            DrawerBackground = "#1a1a24",
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "6px" },
    };
}
