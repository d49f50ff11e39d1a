using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Artifacts.Storage;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Deployments;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Comparison;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Notifications;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core;

public static class DependencyInjection
{
    /// <summary>Registers the registry's domain: options, database, Identity stores and the services.</summary>
    public static IHostApplicationBuilder AddModelRegistryCore(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<RegistryOptions>().BindConfiguration(RegistryOptions.Section).ValidateDataAnnotations()
            // Nested sections are not annotated-validated; an out-of-range lifetime would fail every presigned download.
            .Validate(o => o.Artifacts.S3.PresignMinutes is >= 1 and <= S3ArtifactOptions.MaxPresignMinutes,
                $"Registry:Artifacts:S3:PresignMinutes must be between 1 and {S3ArtifactOptions.MaxPresignMinutes} (7 days, the longest a presigned URL may live).")
            .ValidateOnStart();
        services.AddOptions<LifecyclePolicyOptions>().BindConfiguration(LifecyclePolicyOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        services.TryAddTimeProvider();

        // Everything that depends on configuration is resolved lazily from options, so hosts that layer
        // configuration late (tests, the command line) see their own data directory.
        services.AddSingleton(sp => new DataDirectory(
            sp.GetRequiredService<IOptions<RegistryOptions>>().Value.DataDirectory,
            sp.GetRequiredService<IHostEnvironment>().ContentRootPath));

        // Keys beside the data (SQLite): sign-in cookies survive restarts, and the CLI and server share them. On
        // PostgreSQL the keys live in the database, so every app instance behind a load balancer shares them too.
        services.AddDataProtection().SetApplicationName("ModelRegistry");
        services.AddOptions<KeyManagementOptions>().Configure<IServiceProvider>((o, sp) =>
            o.XmlRepository = sp.GetRequiredService<IOptions<RegistryOptions>>().Value.Database == DatabaseProvider.Postgres
                ? new EntityFrameworkCoreXmlRepository<PostgresRegistryDbContext>(sp, sp.GetRequiredService<ILoggerFactory>())
                : new FileSystemXmlRepository(new DirectoryInfo(Path.Combine(sp.GetRequiredService<DataDirectory>().Root, "keys")),
                    sp.GetRequiredService<ILoggerFactory>()));

        services.AddDbContextFactory<RegistryDbContext, RegistryDbContextFactory>(RegistryDatabase.Configure);
        // Identity's stores and the health check take a scoped context: the provider's own type, made by the factory.
        services.Replace(ServiceDescriptor.Scoped(sp => sp.GetRequiredService<IDbContextFactory<RegistryDbContext>>().CreateDbContext()));
        services.AddScoped(sp => (PostgresRegistryDbContext)sp.GetRequiredService<RegistryDbContext>());

        services.AddIdentityCore<ApplicationUser>(options =>
            {
                options.User.RequireUniqueEmail = true;
                options.SignIn.RequireConfirmedAccount = false;
                options.Password.RequiredLength = 10;
                // Length over composition rules (NIST SP 800-63B).
                options.Password.RequireNonAlphanumeric = false;
                options.Password.RequireUppercase = false;
                options.Password.RequireLowercase = false;
                options.Password.RequireDigit = false;
                options.Lockout.AllowedForNewUsers = true;
                options.Stores.SchemaVersion = IdentitySchemaVersions.Version3;
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<RegistryDbContext>()
            .AddDefaultTokenProviders();

        services.AddSingleton<AccessGuard>();
        services.AddSingleton<AuditTrail>();
        services.AddSingleton<ModelService>();
        services.AddSingleton<VersionService>();
        services.AddSingleton<VersionReferences>();
        services.AddSingleton<Aliases.AliasService>();
        services.AddSingleton<VersionWriter>();
        // Policy gates (ILifecycleGate), each beside the feature whose data it checks.
        services.AddSingleton<ILifecycleGate, Artifacts.ArtifactGate>();
        services.AddSingleton<ILifecycleGate, Cards.ModelCardGate>();
        services.AddSingleton<ILifecycleGate, Evaluation.EvaluationGate>();
        services.AddSingleton<Comparison.IVersionFileIndex, Artifacts.ArtifactFileIndex>();
        services.AddSingleton<LifecycleGates>();
        services.AddSingleton<Signing.SigningKeys>();
        services.AddSingleton<Signing.AttestationService>();
        services.AddSingleton<LifecycleQueries>();
        services.AddSingleton<LifecycleService>();
        services.AddSingleton<StageTimelineService>();
        services.AddSingleton<DeploymentService>();
        services.AddSingleton<NotificationService>();
        services.AddSingleton<CardService>();
        services.AddSingleton<CardRenderer>();
        services.AddSingleton<EvaluationService>();
        services.AddSingleton<ComparisonService>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<UserAdminService>();
        // Scoped: it shares the request's UserManager with the server-rendered account pages (see its remarks).
        services.AddScoped<AccountService>();
        services.AddSingleton<FirstRunSetup>();
        services.AddSingleton<DatabaseInitializer>();
        services.AddSingleton<Demo.DemoSeeder>();
        services.AddSingleton<ActivityService>();
        services.AddSingleton<AuditLogService>();
        services.AddSingleton<Compliance.EvidencePackService>();
        services.AddSingleton<Operations.BackupService>();
        services.AddSingleton<Operations.DatabaseMigrator>();

        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Webhooks.WebhookOptions>().BindConfiguration(Webhooks.WebhookOptions.Section);
        services.AddSingleton<Webhooks.WebhookSignal>();
        services.AddSingleton<Webhooks.WebhookService>();
        services.AddSingleton<Webhooks.WebhookOutbox>();
        services.AddSingleton<Audit.IAuditObserver>(sp => sp.GetRequiredService<Webhooks.WebhookOutbox>());
        services.AddSingleton<Webhooks.IWebhookHostResolver, Webhooks.DnsHostResolver>();
        services.AddHttpClient(Webhooks.WebhookDispatcher.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => Webhooks.WebhookDispatcher.CreateHandler(
                sp.GetRequiredService<IOptionsMonitor<Webhooks.WebhookOptions>>(), sp.GetRequiredService<Webhooks.IWebhookHostResolver>()));
        services.AddSingleton<RegistryStats>();
        services.AddSingleton<BlobIntegrity>();
        services.AddSingleton<FileSystemArtifactStore>();
        // Registry:Artifacts:Store picks where blobs live; everything else sees only IArtifactStore.
        services.AddSingleton<IArtifactStore>(sp =>
        {
            var artifacts = sp.GetRequiredService<IOptions<RegistryOptions>>().Value.Artifacts;
            IArtifactStore store = artifacts.Store == ArtifactStoreKind.S3
                ? ActivatorUtilities.CreateInstance<Artifacts.Storage.S3.S3ArtifactStore>(sp)
                : sp.GetRequiredService<FileSystemArtifactStore>();
            if (artifacts.S3.PresignDownloads && !store.CanPresignReads)
            {
                sp.GetRequiredService<ILoggerFactory>().CreateLogger<ArtifactService>().LogWarning(
                    "Registry:Artifacts:S3:PresignDownloads is on, but the {Store} artifact store cannot presign downloads " +
                    "(only the S3 store, with an access key, can): the registry streams every download itself.", artifacts.Store);
            }

            return store;
        });
        services.AddSingleton<ArtifactService>();
        return builder;
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }
}
