using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Faults;

/// <summary>
/// A client that trickles an upload at a few bytes per second is cut off by the server's minimum request-body rate
/// (<c>Registry:Limits</c>), and holds no database transaction meanwhile: other writes go through during the trickle,
/// and nothing of the upload is left afterwards.
/// </summary>
public sealed class SlowClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_trickled_upload_is_cut_off_without_blocking_other_writes_or_leaving_a_file()
    {
        await using var app = new RegistryApp
        {
            Settings =
            {
                ["Registry:Limits:MinRequestBodyBytesPerSecond"] = "2048",
                ["Registry:Limits:MinRequestBodyGraceSeconds"] = "4",
            },
        };
        app.UseKestrel(0);
        app.StartServer();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "slow");
        await app.CreateVersionAsync(ds, "slow");
        using var client = await app.ClientForAsync(ds);
        var token = client.DefaultRequestHeaders.Authorization!.Parameter!;
        var server = client.BaseAddress!;

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port, Ct);
        var stream = tcp.GetStream();
        var head = $"PUT /api/v1/models/slow/versions/1/files/trickled.bin HTTP/1.1\r\nHost: {server.Authority}\r\n" +
                   $"Authorization: Bearer {token}\r\nContent-Length: 1048576\r\nContent-Type: application/octet-stream\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), Ct);
        var clock = Stopwatch.StartNew();
        var answer = ReadStatusLineAsync(stream);
        var trickle = TrickleAsync(stream, answer);

        // While the upload crawls (its temporary file exists), other writes are not held up by it.
        var tmp = Path.Combine(app.DataDirectory, "artifacts", "tmp");
        while (!Directory.EnumerateFiles(tmp).Any() && !answer.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20, Ct);
        }

        Assert.True(Directory.EnumerateFiles(tmp).Any(), "the trickled upload never started streaming to the store");
        var write = Stopwatch.StartNew();
        using (var created = await client.PostAsJsonAsync("/api/v1/models", new { name = "written-meanwhile" }, Ct))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        Assert.True(write.Elapsed < TimeSpan.FromSeconds(5), $"a write during the trickle took {write.Elapsed}");
        Assert.False(answer.IsCompleted, "the trickle was cut off before the concurrent write");

        var status = await answer.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await trickle;
        Assert.True(status is 408 or 0, $"the trickled upload ended with {status}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"cut off only after {clock.Elapsed}");

        // Nothing of it is left: no temporary file, no artifact row.
        var deadline = Stopwatch.StartNew();
        while (Directory.EnumerateFiles(tmp).Any() && deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(50, Ct);
        }

        Assert.Empty(Directory.EnumerateFiles(tmp));
        Assert.Empty(await client.GetFromJsonAsync<object[]>("/api/v1/models/slow/versions/1/files", Ct) ?? []);
    }

    /// <summary>A few bytes per second until the server answers or hangs up.</summary>
    private static async Task TrickleAsync(NetworkStream stream, Task<int> answer)
    {
        try
        {
            while (!answer.IsCompleted)
            {
                await stream.WriteAsync("x"u8.ToArray(), Ct);
                await Task.WhenAny(answer, Task.Delay(250, Ct));
            }
        }
        catch (IOException)
        {
            // The server closed the connection: that is the point.
        }
    }

    /// <summary>The status code of the response, or 0 when the server closed the connection without one.</summary>
    private static async Task<int> ReadStatusLineAsync(NetworkStream stream)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        try
        {
            while (await stream.ReadAsync(one, Ct) == 1 && one[0] != '\n')
            {
                line.Append((char)one[0]);
            }
        }
        catch (IOException)
        {
            return 0;
        }

        var parts = line.ToString().Split(' ');
        return parts.Length > 1 && int.TryParse(parts[1], out var status) ? status : 0;
    }
}
