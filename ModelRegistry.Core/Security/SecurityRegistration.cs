using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Security;

internal static class SecurityRegistration
{
    /// <summary>Identity's user and role stores, the access guard, API tokens, user administration, accounts and first-run setup.</summary>
    internal static IServiceCollection AddSecurity(this IServiceCollection services)
    {
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
        services.AddSingleton<TokenService>();
        services.AddSingleton<UserAdminService>();
        // Scoped: it shares the request's UserManager with the server-rendered account pages (see its remarks).
        services.AddScoped<AccountService>();
        services.AddSingleton<FirstRunSetup>();
        return services;
    }
}
