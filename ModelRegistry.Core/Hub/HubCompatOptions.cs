using System.ComponentModel.DataAnnotations;
using ModelRegistry.Core.Models;

namespace ModelRegistry.Core.Hub;

/// <summary><c>Registry:HubCompat</c>: the Hub-compatible read API under <c>/hf</c> (docs/hub-compat.md).</summary>
public sealed class HubCompatOptions
{
    public const string Section = "Registry:HubCompat";

    public const string DefaultNamespace = "registry";

    /// <summary>
    /// The owner part of every repo id (<c>{Namespace}/{model}</c>), what Hub clients call the user or organisation.
    /// Spelled like a model name, so it is safe as a URL segment and a cache directory name.
    /// </summary>
    [Required]
    [RegularExpression(ModelName.Pattern, ErrorMessage = "Registry:HubCompat:Namespace must be spelled like a model name: " + ModelName.Rule)]
    public string Namespace { get; set; } = DefaultNamespace;
}
