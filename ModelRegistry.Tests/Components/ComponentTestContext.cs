using Bunit;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Cards;
using MudBlazor.Services;

namespace ModelRegistry.Tests.Components;

/// <summary>A bUnit context with MudBlazor's services, the card renderer, and JavaScript calls recorded rather than run.</summary>
public static class ComponentTestContext
{
    public static BunitContext Create()
    {
        var context = new BunitContext();
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddMudServices();
        context.Services.AddSingleton<CardRenderer>();
        return context;
    }
}
