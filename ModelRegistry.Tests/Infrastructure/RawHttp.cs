using System.Net.Sockets;
using System.Text;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>
/// HTTP/1.1 over a bare socket, for requests no well-behaved client sends: a target with <c>..</c> or
/// encoded dots exactly as written (HttpClient and Uri would normalise them), or a body cut off mid-way.
/// </summary>
public static class RawHttp
{
    /// <summary>Sends one request and returns the status code of the response (0 when the server closed without one).</summary>
    public static async Task<int> SendAsync(Uri server, string method, string target, string? bearer, byte[]? body = null,
        CancellationToken ct = default)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, ct);
        await using var stream = client.GetStream();
        var head = new StringBuilder()
            .Append($"{method} {target} HTTP/1.1\r\nHost: {server.Authority}\r\nConnection: close\r\n");
        if (bearer is not null)
        {
            head.Append($"Authorization: Bearer {bearer}\r\n");
        }

        if (body is not null)
        {
            head.Append($"Content-Length: {body.Length}\r\nContent-Type: application/octet-stream\r\n");
        }

        head.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), ct);
        if (body is not null)
        {
            await stream.WriteAsync(body, ct);
        }

        return await ReadStatusAsync(stream, ct);
    }

    /// <summary>
    /// Starts a PUT that announces <paramref name="declaredLength"/> bytes, sends only <paramref name="sent"/> of them,
    /// and drops the connection: the client died mid-upload.
    /// </summary>
    public static async Task CutOffUploadAsync(Uri server, string target, string bearer, long declaredLength, byte[] sent,
        Func<Task> beforeCut, CancellationToken ct = default)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, ct);
        var stream = client.GetStream();
        var head = $"PUT {target} HTTP/1.1\r\nHost: {server.Authority}\r\nAuthorization: Bearer {bearer}\r\n" +
                   $"Content-Length: {declaredLength}\r\nContent-Type: application/octet-stream\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
        await stream.WriteAsync(sent, ct);
        await stream.FlushAsync(ct);
        await beforeCut();
        client.Client.LingerState = new LingerOption(true, 0); // RST, as a killed client would leave it
        client.Close();
    }

    private static async Task<int> ReadStatusAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new byte[256];
        var line = new StringBuilder();
        while (line.Length < 200)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(0, 1), ct);
            if (n == 0)
            {
                break;
            }

            var c = (char)buffer[0];
            if (c == '\n')
            {
                break;
            }

            line.Append(c);
        }

        // "HTTP/1.1 400 Bad Request"
        var parts = line.ToString().Split(' ');
        return parts.Length > 1 && int.TryParse(parts[1], out var status) ? status : 0;
    }
}
