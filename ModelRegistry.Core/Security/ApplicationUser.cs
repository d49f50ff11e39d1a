using Microsoft.AspNetCore.Identity;

namespace ModelRegistry.Core.Security;

/// <summary>A person (or a pipeline's service account) who signs in to the registry.</summary>
public sealed class ApplicationUser : IdentityUser
{
    /// <summary>Shown in the dashboard and the audit trail; falls back to the e-mail address.</summary>
    public string? DisplayName { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public string Label => string.IsNullOrWhiteSpace(DisplayName) ? Email ?? UserName ?? Id : DisplayName;
}
