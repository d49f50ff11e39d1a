using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>A real HTTP endpoint on 127.0.0.1 that records what webhooks send and answers as told.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _calls;

    public sealed record Received(string Event, string Delivery, string Signature, byte[] Body);

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>The status for call number n (1-based); 200 by default.</summary>
    public Func<int, int> Respond { get; set; } = _ => 200;

    public string Url { get; private set; } = "";

    private WebhookReceiver(WebApplication app) => _app = app;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            receiver.Requests.Enqueue(new Received(
                context.Request.Headers["X-Registry-Event"].ToString(),
                context.Request.Headers["X-Registry-Delivery"].ToString(),
                context.Request.Headers["X-Registry-Signature"].ToString(),
                buffer.ToArray()));
            var status = receiver.Respond(Interlocked.Increment(ref receiver._calls));
            if (status is >= 300 and < 400)
            {
                context.Response.Headers.Location = "http://127.0.0.1:9/elsewhere";
            }

            return Results.StatusCode(status);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = address.TrimEnd('/') + "/hook";
        return receiver;
    }

    /// <summary>Waits until <paramref name="count"/> requests arrived (bounded).</summary>
    public async Task WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (Requests.Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
