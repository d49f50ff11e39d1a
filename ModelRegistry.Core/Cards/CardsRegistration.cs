using Microsoft.Extensions.DependencyInjection;

namespace ModelRegistry.Core.Cards;

internal static class CardsRegistration
{
    /// <summary>Model cards: revisions and their sanitised rendering.</summary>
    internal static IServiceCollection AddCards(this IServiceCollection services)
    {
        services.AddSingleton<CardService>();
        services.AddSingleton<CardRenderer>();
        return services;
    }
}
