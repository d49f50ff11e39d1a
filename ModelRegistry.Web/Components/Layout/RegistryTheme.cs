using MudBlazor;

namespace ModelRegistry.Web.Components.Layout;

/// <summary>The dashboard's palette, light and dark.</summary>
public static class RegistryTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#3949ab",
            Secondary = "#00897b",
            AppbarBackground = "#283593",
            Background = "#f5f6fa",
            DrawerBackground = "#ffffff",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#8c9eff",
            Secondary = "#4db6ac",
            AppbarBackground = "#1a1f3a",
            Background = "#12141c",
            Surface = "#1c1f2b",
            DrawerBackground = "#171a24",
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "6px" },
    };
}
