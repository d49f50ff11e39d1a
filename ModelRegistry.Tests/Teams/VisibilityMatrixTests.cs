using System.Net;
using System.Text.Json;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Comparison;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Teams;

namespace ModelRegistry.Tests.Teams;

/// <summary>
/// The visibility matrix of docs/design.md ("Teams and model access"): who sees a Restricted model, on every surface,
/// in one table. The API and /hf go through the real host (token → middleware → Core); compare and the home page's
/// counts are dashboard-only, so they are asked of Core in the viewer scope the dashboard's circuit sets.
/// </summary>
public sealed class VisibilityMatrixTests(TeamAccessFixture fixture) : IClassFixture<TeamAccessFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<Viewer, string, bool> Matrix()
    {
        var data = new TheoryData<Viewer, string, bool>();
        string[] surfaces = ["list", "get", "versions", "files", "hf", "compare", "search", "counts"];
        foreach (var viewer in Enum.GetValues<Viewer>())
        {
            var sees = viewer is Viewer.Member or Viewer.Auditor or Viewer.Admin;
            foreach (var surface in surfaces)
            {
                data.Add(viewer, surface, sees);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Restricted_model_is_seen_only_by_members_auditors_and_admins(Viewer viewer, string surface, bool sees)
    {
        var client = fixture.Clients[viewer.ToString()];
        var user = fixture.Users[viewer.ToString()];
        const string secret = TeamAccessFixture.Secret;

        switch (surface)
        {
            case "list":
                var names = await NamesAsync(client, "/api/v1/models?pageSize=200");
                Assert.Contains(TeamAccessFixture.Open, names);
                Assert.Equal(sees, names.Contains(secret));
                break;
            case "search":
                var found = await NamesAsync(client, "/api/v1/models?search=needle");
                Assert.Contains(TeamAccessFixture.Open, found);
                Assert.Equal(sees, found.Contains(secret));
                break;
            case "get":
                await AssertStatusAsync(client, $"/api/v1/models/{secret}", sees);
                break;
            case "versions":
                await AssertStatusAsync(client, $"/api/v1/models/{secret}/versions", sees);
                await AssertStatusAsync(client, $"/api/v1/models/{secret}/versions/1", sees);
                break;
            case "files":
                await AssertStatusAsync(client, $"/api/v1/models/{secret}/versions/1/files", sees);
                await AssertStatusAsync(client, $"/api/v1/models/{secret}/versions/1/files/config.json", sees);
                break;
            case "hf":
                // main is the Production version (there is none): v1 names version 1, as in HF_ENDPOINT clients' revision.
                await AssertStatusAsync(client, $"/hf/api/models/{secret}/revision/v1", sees);
                await AssertStatusAsync(client, $"/hf/{secret}/resolve/v1/config.json", sees);
                var hub = JsonDocument.Parse(await client.GetStringAsync("/hf/api/models?limit=100", Ct)).RootElement
                    .EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToList();
                Assert.Equal(sees, hub.Any(id => id.EndsWith(secret, StringComparison.Ordinal)));
                break;
            case "compare":
                using (ModelViewer.As(user.Id))
                {
                    var compare = () => fixture.App.Get<ComparisonService>().CompareAsync(secret, [1, 2], Ct);
                    if (sees)
                    {
                        Assert.Equal(2, (await compare()).Versions.Count);
                    }
                    else
                    {
                        await Assert.ThrowsAsync<NotFoundException>(compare);
                    }
                }

                break;
            case "counts":
                using (ModelViewer.As(user.Id))
                {
                    var counts = await fixture.App.Get<RegistryStats>().CountAsync(Ct);
                    Assert.Equal(sees ? 2 : 1, counts.Models);
                    Assert.Equal(sees ? 4 : 2, counts.Versions);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(surface), surface, null);
        }
    }

    private static async Task<List<string>> NamesAsync(HttpClient client, string url)
    {
        var page = JsonDocument.Parse(await client.GetStringAsync(url, Ct)).RootElement;
        return page.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("name").GetString()!).ToList();
    }

    private static async Task AssertStatusAsync(HttpClient client, string url, bool sees)
    {
        using var response = await client.GetAsync(url, Ct);
        // Never 403: to those who may not see it, the model does not exist.
        Assert.Equal(sees ? HttpStatusCode.OK : HttpStatusCode.NotFound, response.StatusCode);
    }
}
