namespace ModelRegistry.Web.Components.Pages.Cards.Components;

/// <summary>What the card editor hands over to be saved.</summary>
public sealed record CardDraft(string Markdown, string? Comment);
