using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace ModelRegistry.Web.Components.Account;

/// <summary>The codes that links from e-mails carry: Identity's tokens, UTF-8, base64url-encoded.</summary>
internal static class IdentityCodes
{
    /// <summary>The token in <paramref name="encoded"/>, or null when a mangled link carries no such code.</summary>
    public static string? Decode(string? encoded)
    {
        if (string.IsNullOrEmpty(encoded))
        {
            return null;
        }

        try
        {
            return Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(encoded));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
