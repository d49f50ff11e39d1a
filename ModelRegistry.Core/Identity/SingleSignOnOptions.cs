namespace ModelRegistry.Core.Identity;

/// <summary><c>Registry:Auth</c>: how people sign in (docs/design.md, "Single sign-on and model access"; docs/sso.md).</summary>
public sealed class AuthOptions
{
    /// <summary>
    /// Password (and passkey) sign-in. False hides the password form for everyone and refuses password sign-in; people
    /// sign in through <see cref="Oidc"/> only. API tokens keep working.
    /// </summary>
    public bool LocalLogin { get; set; } = true;

    /// <summary><c>Registry:Auth:Oidc</c>: single sign-on through an OpenID Connect provider.</summary>
    public OidcOptions Oidc { get; set; } = new();
}

/// <summary><c>Registry:Auth:Oidc</c>: the OpenID Connect provider and how its groups map onto roles.</summary>
public sealed class OidcOptions
{
    public const string Section = "Registry:Auth:Oidc";

    public bool Enabled { get; set; }

    /// <summary>The issuer URL; its discovery document is at <c>/.well-known/openid-configuration</c>.</summary>
    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>The sign-in button's text.</summary>
    public string DisplayName { get; set; } = "Sign in with single sign-on";

    /// <summary>The claim (in the ID token or from the userinfo endpoint) that lists the user's groups.</summary>
    public string GroupsClaim { get; set; } = "groups";

    /// <summary>
    /// Group names per role (<c>Admin</c>, <c>DataScientist</c>, <c>Reviewer</c>, <c>Auditor</c>, and <c>Viewer</c> for
    /// read-only access). When any is set, roles follow the groups on every sign-in and a user none of whose groups is
    /// listed cannot sign in.
    /// </summary>
    public Dictionary<string, List<string>> RoleGroups { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Scopes asked for beside <c>openid profile email</c> (Okta's <c>groups</c>, for instance).</summary>
    public List<string> Scopes { get; set; } = [];

    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Whether roles follow the directory: some role lists a group.</summary>
    public bool MapsRoles => RoleGroups.Values.Any(groups => groups.Any(g => !string.IsNullOrWhiteSpace(g)));

    /// <summary>
    /// The settings single sign-on cannot start without, each problem naming its key: empty when the configuration is
    /// usable (or single sign-on is off).
    /// </summary>
    public IReadOnlyList<string> Problems()
    {
        if (!Enabled)
        {
            return [];
        }

        List<string> problems = [];
        foreach (var (key, value) in new[] { ("Authority", Authority), ("ClientId", ClientId), ("ClientSecret", ClientSecret) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                problems.Add($"{Section}:{key} is not set; single sign-on ({Section}:Enabled = true) needs it.");
            }
        }

        if (!string.IsNullOrWhiteSpace(Authority)
            && (!Uri.TryCreate(Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http")))
        {
            problems.Add($"{Section}:Authority '{Authority}' is not an http(s) URL (the provider's issuer, e.g. https://login.example.com/realms/main).");
        }
        else if (RequireHttpsMetadata && Uri.TryCreate(Authority, UriKind.Absolute, out var https) && https.Scheme != "https")
        {
            problems.Add($"{Section}:Authority must be an https URL (set {Section}:RequireHttpsMetadata to false only for a test provider).");
        }

        if (string.IsNullOrWhiteSpace(GroupsClaim))
        {
            problems.Add($"{Section}:GroupsClaim is empty; leave it out for the default \"groups\".");
        }

        foreach (var key in RoleGroups.Keys.Where(k => DirectoryGroupSync.RoleFor(k) is null))
        {
            problems.Add($"{Section}:RoleGroups:{key} is not a role; use {string.Join(", ", DirectoryGroupSync.MappableRoles)}.");
        }

        return problems;
    }
}

/// <summary>Single sign-on cannot start with this configuration; the message names the key to fix.</summary>
public sealed class SingleSignOnConfigurationException(string message) : Exception(message);
