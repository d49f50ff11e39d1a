using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Artifacts.Storage;
using ModelRegistry.Core.Comparison;

namespace ModelRegistry.Core.Artifacts;

internal static class ArtifactsRegistration
{
    /// <summary>A version's files: the store configuration picks (file system or S3), integrity checks, the services (uploads in one request and resumable ones), and the file index comparisons read.</summary>
    internal static IServiceCollection AddArtifacts(this IServiceCollection services)
    {
        // Nested sections are not annotation-validated; an out-of-range lifetime would fail every presigned download.
        services.AddOptions<RegistryOptions>().Validate(
            o => o.Artifacts.S3.PresignMinutes is >= 1 and <= S3ArtifactOptions.MaxPresignMinutes,
            $"Registry:Artifacts:S3:PresignMinutes must be between 1 and {S3ArtifactOptions.MaxPresignMinutes} (7 days, the longest a presigned URL may live).");
        services.AddSingleton<IVersionFileIndex, ArtifactFileIndex>();
        services.AddSingleton<BlobIntegrity>();
        services.AddSingleton<FileSystemArtifactStore>();
        // Registry:Artifacts:Store picks where blobs live; everything else sees only IArtifactStore.
        services.AddSingleton<IArtifactStore>(sp =>
        {
            var artifacts = sp.GetRequiredService<IOptions<RegistryOptions>>().Value.Artifacts;
            IArtifactStore store = artifacts.Store == ArtifactStoreKind.S3
                ? ActivatorUtilities.CreateInstance<Storage.S3.S3ArtifactStore>(sp)
                : sp.GetRequiredService<FileSystemArtifactStore>();
            if (artifacts.S3.PresignDownloads && !store.CanPresignReads)
            {
                sp.GetRequiredService<ILoggerFactory>().CreateLogger<ArtifactService>().PresignUnavailable(artifacts.Store);
            }

            return store;
        });
        // Both stores keep resumable uploads too (artifacts/uploads/ on disk, multipart uploads in a bucket).
        services.AddSingleton(sp => (Uploads.IResumableStaging)sp.GetRequiredService<IArtifactStore>());
        services.AddSingleton<ArtifactService>();
        services.AddSingleton<Uploads.ResumableUploadService>();
        return services;
    }
}
