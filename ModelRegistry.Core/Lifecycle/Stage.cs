namespace ModelRegistry.Core.Lifecycle;

/// <summary>A version's lifecycle stage: None → Staging → Production → Archived.</summary>
public enum Stage
{
    None = 0,
    Staging = 1,
    Production = 2,
    Archived = 3,
}
