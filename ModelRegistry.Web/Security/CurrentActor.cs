using Microsoft.AspNetCore.Components.Authorization;
using ModelRegistry.Core.Security;

namespace ModelRegistry.Web.Security;

/// <summary>The signed-in user of a dashboard circuit, as an <see cref="Actor"/>.</summary>
public sealed class CurrentActor(AuthenticationStateProvider authState)
{
    public async Task<Actor> GetAsync()
    {
        var state = await authState.GetAuthenticationStateAsync();
        return state.User.ToActor();
    }
}
