namespace ModelRegistry.Core.Common;

/// <summary>One page of a list and the size of the whole list.</summary>
public sealed record PagedResult<T>(IReadOnlyList<T> Items, int Total);

/// <summary>Page number and size as asked, checked and clamped to what the registry serves.</summary>
public readonly record struct PageRequest(int Page, int PageSize)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    public int Skip => (Page - 1) * PageSize;

    /// <summary>Defaults when absent; 400 when out of range.</summary>
    public static PageRequest From(int? page, int? pageSize)
    {
        var p = page ?? 1;
        var s = pageSize ?? DefaultPageSize;
        if (p < 1 || p > 10_000_000)
        {
            throw ValidationFailedException.For("page", "page must be a whole number from 1.");
        }

        if (s < 1 || s > MaxPageSize)
        {
            throw ValidationFailedException.For("pageSize", $"pageSize must be between 1 and {MaxPageSize}.");
        }

        return new PageRequest(p, s);
    }
}
