using System.Globalization;
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
            .Append(CultureInfo.InvariantCulture, $"{method} {target} HTTP/1.1\r\nHost: {server.Authority}\r\nConnection: close\r\n");
        if (bearer is not null)
        {
            head.Append(CultureInfo.InvariantCulture, $"Authorization: Bearer {bearer}\r\n");
        }

        if (body is not null)
        {
            head.Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\nContent-Type: application/octet-stream\r\n");
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
    /// Sends one request and reads the whole response (the request asks the server to close the connection after it):
    /// status, headers and body, de-chunked.
    /// </summary>
    public static async Task<RawResponse> ExchangeAsync(Uri server, string method, string target, string? bearer,
        CancellationToken ct = default)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, ct);
        await using var stream = client.GetStream();
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"{method} {target} HTTP/1.1\r\nHost: {server.Authority}\r\nConnection: close\r\n");
        if (bearer is not null)
        {
            head.Append(CultureInfo.InvariantCulture, $"Authorization: Bearer {bearer}\r\n");
        }

        head.Append("\r\n");
        await stream.WriteAsync(Encoding.Latin1.GetBytes(head.ToString()), ct);
        using var all = new MemoryStream();
        await stream.CopyToAsync(all, ct);
        return RawResponse.Parse(all.ToArray());
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

/// <summary>A response as it came over the wire.</summary>
public sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The media type of the body without parameters, or null.</summary>
    public string? MediaType => Headers.TryGetValue("content-type", out var type) ? type.Split(';')[0].Trim() : null;

    public static RawResponse Parse(byte[] bytes)
    {
        var text = Encoding.Latin1.GetString(bytes);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return new RawResponse(0, new Dictionary<string, string>(), "");
        }

        var lines = text[..end].Split("\r\n");
        var status = lines[0].Split(' ') is { Length: > 1 } parts && int.TryParse(parts[1], out var s) ? s : 0;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon > 0)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        var body = bytes.AsSpan(Encoding.Latin1.GetByteCount(text[..(end + 4)]));
        var content = headers.TryGetValue("transfer-encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase)
            ? Dechunk(body)
            : body.ToArray();
        return new RawResponse(status, headers, Encoding.UTF8.GetString(content));
    }

    private static byte[] Dechunk(ReadOnlySpan<byte> body)
    {
        using var result = new MemoryStream();
        while (true)
        {
            var lineEnd = body.IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                break;
            }

            var sizeText = Encoding.ASCII.GetString(body[..lineEnd]).Split(';')[0];
            var size = Convert.ToInt32(sizeText, 16);
            if (size == 0 || body.Length < lineEnd + 2 + size)
            {
                break;
            }

            result.Write(body.Slice(lineEnd + 2, size));
            body = body[(lineEnd + 2 + size + 2)..];
        }

        return result.ToArray();
    }
}
