using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Artifacts.Storage;
using ModelRegistry.Core.Comparison;

namespace ModelRegistry.Core.Artifacts;

internal static class ArtifactsRegistration
{
    /// <summary>A version's files: the store configuration picks (file system or S3), integrity checks, the services (uploads in one request and resumable ones), and the file index comparisons read.</summary>
    internal static IServiceCollection AddArtifacts(this IServiceCollection services)
    {
        services.AddSingleton<IVersionFileIndex, ArtifactFileIndex>();
        services.AddSingleton<BlobIntegrity>();
        services.AddSingleton<FileSystemArtifactStore>();
        // Registry:Artifacts:Store picks where blobs live; everything else sees only IArtifactStore.
        services.AddSingleton<IArtifactStore>(sp =>
            sp.GetRequiredService<IOptions<RegistryOptions>>().Value.Artifacts.Store == ArtifactStoreKind.S3
                ? ActivatorUtilities.CreateInstance<Storage.S3.S3ArtifactStore>(sp)
                : sp.GetRequiredService<FileSystemArtifactStore>());
        // Both stores keep resumable uploads too (artifacts/uploads/ on disk, multipart uploads in a bucket).
        services.AddSingleton(sp => (Uploads.IResumableStaging)sp.GetRequiredService<IArtifactStore>());
        services.AddSingleton<ArtifactService>();
        services.AddSingleton<Uploads.ResumableUploadService>();
        return services;
    }
}
