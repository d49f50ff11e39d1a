using System.ComponentModel.DataAnnotations;

namespace ModelRegistry.Web.Components.Pages.Hub.Components;

/// <summary>
/// The part of <c>Registry:HubCompat</c> the "Use this model" snippets need: the namespace in front of a model's name in
/// Hub repo ids (<c>registry/support-bot</c>), as the <c>/hf</c> routes expect it (docs/design.md, "Hub-compatible read
/// API"). Only this key is read here, so the section may hold more.
/// </summary>
public sealed class HubRepoIdOptions
{
    public const string Section = "Registry:HubCompat";

    public const string DefaultNamespace = "registry";

    /// <summary>One path segment as Hub clients accept it in a repo id (they split on the one <c>/</c>).</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$", ErrorMessage = "Registry:HubCompat:Namespace is one word of letters, digits, '.', '_' or '-'.")]
    public string Namespace { get; set; } = DefaultNamespace;

    /// <summary>The repo id Hub clients name <paramref name="model"/> by.</summary>
    public string RepoId(string model) => $"{Namespace}/{model}";
}
