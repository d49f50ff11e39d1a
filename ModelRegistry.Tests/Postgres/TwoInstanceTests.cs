using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Webhooks;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Postgres;

/// <summary>
/// Two app instances behind an imaginary load balancer: one PostgreSQL database, one artifact directory, each on
/// its own port, and a webhook receiver.
/// </summary>
public sealed class TwoInstances : IAsyncLifetime
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "mr-tests", $"two-{Guid.NewGuid():N}");

    public WebhookReceiver Receiver { get; private set; } = null!;
    public RegistryApp One { get; private set; } = null!;
    public RegistryApp Two { get; private set; } = null!;
    public Uri OneUrl { get; private set; } = null!;
    public Uri TwoUrl { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Receiver = await WebhookReceiver.StartAsync();
        var database = PostgresServer.Instance.CreateDatabase("two_instances");
        (One, OneUrl) = Start(database);
        (Two, TwoUrl) = Start(database); // after the first has migrated, as a rolling start would be
    }

    private (RegistryApp, Uri) Start(string database)
    {
        var app = new RegistryApp
        {
            Database = DatabaseProvider.Postgres,
            ConnectionString = database,
            DataDirectory = _dataDirectory,
            KeepDataDirectory = true,
        };
        app.Settings["Registry:Webhooks:AllowPrivateNetworks"] = "true";
        app.Settings["Registry:Webhooks:PollSeconds"] = "1";
        app.UseKestrel(0);
        app.StartServer();
        var url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return (app, url);
    }

    public async ValueTask DisposeAsync()
    {
        await One.DisposeAsync();
        await Two.DisposeAsync();
        await Receiver.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean from the temp directory.
        }
    }
}

/// <summary>Whatever one instance does, the other sees; whatever one issues, the other accepts.</summary>
public sealed partial class TwoInstanceTests(TwoInstances instances) : IClassFixture<TwoInstances>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private RegistryApp One => instances.One;
    private RegistryApp Two => instances.Two;
    private Uri OneUrl => instances.OneUrl;
    private Uri TwoUrl => instances.TwoUrl;

    [Fact]
    public async Task A_model_and_its_file_made_through_one_instance_are_served_by_the_other()
    {
        var ds = await One.CreateUserAsync(Roles.DataScientist);
        using var throughOne = await One.ClientForAsync(ds);
        throughOne.BaseAddress = OneUrl;
        using var throughTwo = await Two.ClientForAsync(ds); // a token made on one instance …
        throughTwo.BaseAddress = TwoUrl;

        Assert.Equal(HttpStatusCode.Created, (await throughOne.PostAsJsonAsync("/api/v1/models", new { name = "shared-model" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await throughOne.PostAsJsonAsync("/api/v1/models/shared-model/versions", new { }, Ct)).StatusCode);
        var bytes = "{\"architectures\":[\"LlamaForCausalLM\"]}"u8.ToArray();
        using var upload = new ByteArrayContent(bytes);
        Assert.Equal(HttpStatusCode.Created,
            (await throughOne.PutAsync("/api/v1/models/shared-model/versions/1/files/config.json", upload, Ct)).StatusCode);

        var model = await throughTwo.GetFromJsonAsync<JsonElement>("/api/v1/models/shared-model", Ct);
        Assert.Equal("shared-model", model.GetProperty("name").GetString());
        Assert.Equal(bytes, await throughTwo.GetByteArrayAsync("/api/v1/models/shared-model/versions/1/files/config.json", Ct));
        // … and the second version, numbered by the other instance, continues the same sequence.
        var second = await (await throughTwo.PostAsJsonAsync("/api/v1/models/shared-model/versions", new { }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(2, second.GetProperty("number").GetInt32());
        var audit = await Two.Get<AuditLogService>().VerifyAsync(Actor.CommandLine, Ct);
        Assert.True(audit.Valid);
    }

    [Fact]
    public async Task Sign_in_form_and_cookie_issued_by_one_instance_are_accepted_by_the_other()
    {
        var user = await One.CreateUserAsync(Roles.DataScientist);
        var cookies = new CookieContainer();
        using var handler = new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false };
        using var browser = new HttpClient(handler);

        // The sign-in page (antiforgery cookie and form token) comes from instance one …
        var page = await browser.GetStringAsync(new Uri(OneUrl, "/Account/Login"), Ct);
        var token = AntiforgeryField().Match(page).Groups[1].Value;
        Assert.NotEmpty(token);

        // … the form is posted to instance two, which must accept one's antiforgery token and signs the user in …
        var signIn = await browser.PostAsync(new Uri(TwoUrl, "/Account/Login"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
            ["Input.Email"] = user.Email,
            ["Input.Password"] = user.Password,
        }), Ct);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.DoesNotContain("/Account/Login", signIn.Headers.Location?.ToString() ?? "");
        Assert.Contains(cookies.GetCookies(TwoUrl).Cast<Cookie>(), c => c.Name == "registry.auth");

        // … and instance one accepts the cookie two issued.
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(OneUrl, "/api/v1/models"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var models = await browser.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
    }

    [Fact]
    public async Task A_blobs_lock_taken_by_one_instance_holds_off_the_other_until_released()
    {
        // What keeps an upload on one instance and the delete of the same bytes' blob on the other from interleaving.
        var sha = Convert.ToHexStringLower(SHA256.HashData(Guid.NewGuid().ToByteArray()));
        var otherSha = "f" + sha[1..].Replace('f', 'e');
        await using var one = await instances.One.DbAsync();
        await using var two = await instances.Two.DbAsync();

        var held = await one.LockBlobAsync(sha, Ct);
        Assert.NotNull(held);
        using (var brief = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            brief.CancelAfter(TimeSpan.FromMilliseconds(500));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => two.LockBlobAsync(sha, brief.Token));
        }

        // Other bytes are not held up.
        await using (await two.LockBlobAsync(otherSha, Ct))
        {
        }

        var waiting = two.LockBlobAsync(sha, Ct);
        await Task.Delay(200, Ct);
        Assert.False(waiting.IsCompleted);
        await held!.DisposeAsync();
        await using var taken = await waiting.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.NotNull(taken);
    }

    [Fact]
    public async Task A_webhook_event_is_delivered_exactly_once_with_both_dispatchers_running()
    {
        var admin = await One.CreateUserAsync(Roles.Admin);
        await One.Get<WebhookService>().CreateAsync(admin.Actor, new CreateWebhook(instances.Receiver.Url, [WebhookEvents.ModelCreated], null), Ct);

        for (var i = 0; i < 12; i++)
        {
            await (i % 2 == 0 ? One : Two).RegisterModelAsync(admin, $"announced-{i:D2}");
        }

        await instances.Receiver.WaitForAsync(12);
        await Task.Delay(2500, Ct); // both dispatchers poll every second: time enough for a duplicate to show

        // Only this test's models (the other tests' changes may be announced too).
        var received = instances.Receiver.Requests
            .Where(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("model").GetString()!.StartsWith("announced-", StringComparison.Ordinal))
            .ToArray();
        Assert.Equal(12, received.Length);
        Assert.Equal(12, received.Select(r => r.Delivery).Distinct().Count());
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
