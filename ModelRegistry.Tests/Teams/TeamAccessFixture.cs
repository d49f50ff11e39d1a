using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Teams;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Teams;

/// <summary>
/// One registry with a Restricted model "secret-llm" owned by team "secret-team" (version 1 with a file) and an
/// Internal model "open-llm"; a user per viewer kind of the visibility matrix, each with an API client.
/// </summary>
public sealed class TeamAccessFixture : IAsyncLifetime
{
    public const string Secret = "secret-llm";
    public const string Open = "open-llm";
    public const string Team = "secret-team";

    public RegistryApp App { get; } = new();
    public Dictionary<string, TestUser> Users { get; } = new();
    public Dictionary<string, HttpClient> Clients { get; } = new();
    public TestUser Admin => Users[nameof(Viewer.Admin)];

    public async ValueTask InitializeAsync()
    {
        App.Settings["Registry:Webhooks:AllowPrivateNetworks"] = "true";
        await App.InitializeAsync();
        Users[nameof(Viewer.Member)] = await App.CreateUserAsync(Roles.DataScientist);
        Users[nameof(Viewer.OtherDataScientist)] = await App.CreateUserAsync(Roles.DataScientist);
        Users[nameof(Viewer.Reviewer)] = await App.CreateUserAsync(Roles.Reviewer);
        Users[nameof(Viewer.Auditor)] = await App.CreateUserAsync(Roles.Auditor);
        Users[nameof(Viewer.Admin)] = await App.CreateUserAsync(Roles.Admin);
        foreach (var (kind, user) in Users)
        {
            Clients[kind] = await App.ClientForAsync(user);
        }

        var teams = App.Get<TeamService>();
        await teams.CreateAsync(Admin.Actor, new CreateTeam(Team));
        await teams.AddMemberAsync(Admin.Actor, Team, Users[nameof(Viewer.Member)].Email);

        var member = Users[nameof(Viewer.Member)];
        await App.RegisterModelAsync(member, Secret, description: "needle restricted");
        await App.RegisterModelAsync(member, Open, description: "needle open");
        await App.Get<ModelService>().UpdateAsync(Admin.Actor, Secret,
            new UpdateModel(OwnerTeam: Team, Visibility: ModelVisibility.Restricted));
        foreach (var model in new[] { Secret, Open })
        {
            await App.CreateVersionAsync(member, model);
            await App.CreateVersionAsync(member, model);
            await App.UploadAsync(member, model, 1, "config.json", """{"model_type":"llama"}"""u8.ToArray());
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in Clients.Values)
        {
            client.Dispose();
        }

        await App.DisposeAsync();
    }
}

/// <summary>The rows of the visibility matrix.</summary>
public enum Viewer
{
    Member,
    OtherDataScientist,
    Reviewer,
    Auditor,
    Admin,
}
