using MudBlazor;

namespace ModelRegistry.Web.Components.Layout;

/// <summary>
/// The dashboard's palette, light and dark. Every colour that carries text reaches 4.5:1 (WCAG 2.1 AA) against the
/// surfaces it is drawn on, whether as text (a status word, an outlined chip) or as a fill behind its contrast text
/// (a filled chip, a button): MudBlazor's defaults (e.g. success #00c853 under white, 2.2:1) do not. Pages take their
/// colours from here, never their own. docs/design.md, "Dashboard"; AccessibilityTests checks every page in both themes.
/// </summary>
public static class RegistryTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#3949ab",
            Secondary = "#00796b",
            Info = "#1565c0",
            Success = "#2e7d32",
            Warning = "#b45309",
            Error = "#c62828",
            AppbarBackground = "#283593",
            Background = "#f5f6fa",
            DrawerBackground = "#ffffff",
            TextSecondary = "#5f6475",
            // Also the colour of text that is merely quiet (line numbers, the current breadcrumb), so it stays readable.
            TextDisabled = "#666a78",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#8c9eff",
            PrimaryContrastText = "#12141c",
            Secondary = "#4db6ac",
            SecondaryContrastText = "#12141c",
            Info = "#64b5f6",
            InfoContrastText = "#12141c",
            Success = "#66bb6a",
            SuccessContrastText = "#12141c",
            Warning = "#ffb74d",
            WarningContrastText = "#12141c",
            Error = "#ef9a9a",
            ErrorContrastText = "#12141c",
            AppbarBackground = "#1a1f3a",
            Background = "#12141c",
            Surface = "#1c1f2b",
            DrawerBackground = "#171a24",
            TextSecondary = "#a4a8b8",
            TextDisabled = "#9aa0b4",
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "6px" },
    };
}
