namespace ModelRegistry.Core.Artifacts.Storage.S3;

/// <summary>A staged upload in the S3 store: a complete temporary object <c>tmp/&lt;id&gt;</c>.</summary>
public sealed class S3StagedBlob : StagedBlob
{
    /// <summary>Header readers read a few small windows of the object; each is one ranged GET.</summary>
    private const long InspectionWindow = 1024 * 1024;

    private readonly S3ArtifactStore _store;

    internal S3StagedBlob(S3ArtifactStore store, string key, string sha256, long size)
        : base(sha256, size)
    {
        _store = store;
        Key = key;
    }

    /// <summary>The temporary object's key.</summary>
    public string Key { get; }

    /// <inheritdoc />
    public override Stream OpenRead() => new S3ObjectStream(_store, Key, Size, InspectionWindow);

    protected override async ValueTask DiscardAsync() => await _store.DeleteQuietlyAsync(Key);
}
