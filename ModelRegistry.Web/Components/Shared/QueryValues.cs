using System.Globalization;

namespace ModelRegistry.Web.Components.Shared;

/// <summary>
/// Query-string values the dashboard takes as text and parses itself: a typed <c>[SupplyParameterFromQuery]</c>
/// whose value does not parse (<c>?page=abc</c> from a hand-edited or mangled link) fails the whole page with a 500.
/// </summary>
public static class QueryValues
{
    /// <summary>The page number in <c>?page=</c>; 1 when absent or not a positive whole number.</summary>
    public static int Page(string? value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var page) && page > 0 ? page : 1;
}
