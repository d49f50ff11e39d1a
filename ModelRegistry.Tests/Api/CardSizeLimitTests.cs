using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// The card endpoint's own transport limit, on a real Kestrel port: larger than the API's 1 MiB for JSON, just under
/// the 10 MiB a card may not reach.
/// </summary>
public sealed class CardSizeLimitTests : IAsyncLifetime
{
    private readonly RegistryApp _app = new();
    private HttpClient _client = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _app.UseKestrel();
        _app.StartServer();
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!;
        var ds = await _app.CreateUserAsync(Roles.DataScientist);
        await _app.RegisterModelAsync(ds, "big-card");
        await _app.CreateVersionAsync(ds, "big-card");
        _client = await _app.ClientForAsync(ds);
        _client.BaseAddress = new Uri(addresses.Addresses.First());
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    private static HttpContent Card(int bytes, bool chunked = false)
    {
        var body = Encoding.UTF8.GetBytes("# Big card\n" + new string('x', bytes - 11));
        HttpContent content = chunked ? new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/markdown");
        return content;
    }

    [Fact]
    public async Task Card_over_the_APIs_1_MiB_json_limit_is_accepted()
    {
        var response = await _client.PutAsync("/api/v1/models/big-card/versions/1/card", Card(3 * 1024 * 1024), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Card_of_10_MiB_is_413_and_saves_nothing()
    {
        var before = await _app.Get<CardService>().ListRevisionsAsync("big-card", 1, Ct);

        // As curl does for large bodies: wait for the server's go-ahead, so the refusal is read rather than cut off mid-upload.
        var request = new HttpRequestMessage(HttpMethod.Put, "/api/v1/models/big-card/versions/1/card") { Content = Card(CardService.MaxCardBytes) };
        request.Headers.ExpectContinue = true;

        // HttpClient sends the body anyway after 1 s without an answer (its default), which a loaded machine can exceed:
        // then the server's refusal cuts the upload off and the client sees a broken pipe instead of the 413.
        using var patient = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(30) })
        {
            BaseAddress = _client.BaseAddress,
        };
        patient.DefaultRequestHeaders.Authorization = _client.DefaultRequestHeaders.Authorization;

        var response = await patient.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(before.Count, (await _app.Get<CardService>().ListRevisionsAsync("big-card", 1, Ct)).Count);
    }

    [Fact]
    public async Task Streamed_card_over_10_MiB_without_a_length_is_413()
    {
        var request = new HttpRequestMessage(HttpMethod.Put, "/api/v1/models/big-card/versions/1/card") { Content = Card(CardService.MaxCardBytes + 1000, chunked: true) };
        request.Headers.TransferEncodingChunked = true;

        var response = await _client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }
}
