namespace ModelRegistry.Web.Components.Pages.Models.Components;

/// <summary>What the card editor hands over to be saved.</summary>
public sealed record CardDraft(string Markdown, string? Comment);
