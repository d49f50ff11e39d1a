using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.WebUtilities;

namespace ModelRegistry.Web.Hosting;

/// <summary>
/// Kestrel refuses some requests itself, before any middleware runs: an encoded NUL (<c>%00</c>) in the path, a
/// request line or headers over its limits, a malformed request line. It answers them with a bare status and an
/// empty body, which nothing in the application pipeline can change ("this category of errors is not
/// customisable"). This connection middleware turns exactly those answers into problem details (RFC 9457), like
/// every other 4xx of the registry.
/// <para>
/// It tells Kestrel's own answers from the application's by asking the application: a marker middleware, first in
/// the pipeline, tells the connection when a request has reached the application and when its response is complete.
/// While one is in progress every byte passes straight through. Anything written outside that window is Kestrel's;
/// such bytes are held (at most <see cref="MaxHeldBytes"/>) until they are flushed, and a complete response head with
/// an error status and no body is then replaced. HTTP/1.1 only: an HTTP/2 error is a frame, and over TLS this
/// middleware would see ciphertext (it is registered before <c>UseHttps</c>); both pass through untouched.
/// </para>
/// </summary>
internal static class RejectedRequestAnswers
{
    public const int MaxHeldBytes = 4096;

    /// <summary>Adds the connection middleware to every endpoint Kestrel listens on.</summary>
    public static void UseProblemDetailsForRejectedRequests(this KestrelServerOptions kestrel) =>
        kestrel.ConfigureEndpointDefaults(listen => listen.Use(next => async connection =>
        {
            var transport = connection.Transport;
            var writer = new RejectionRewritingWriter(transport.Output, kestrel.Limits.MaxRequestLineSize);
            connection.Transport = new Duplex(transport.Input, writer);
            // The application finds the writer through the connection's features (Kestrel's request features fall back to them).
            connection.Features.Set(writer);
            try
            {
                await next(connection);
            }
            finally
            {
                connection.Transport = transport;
            }
        }));

    /// <summary>
    /// Marks each request that reaches the application, so that its response passes the connection untouched. First in
    /// the pipeline: whatever answers before it (nothing, today) would be treated as Kestrel's.
    /// </summary>
    public static IApplicationBuilder UseRejectedRequestMarker(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        if (context.Features.Get<RejectionRewritingWriter>() is { } writer)
        {
            writer.ApplicationResponding = true;
            context.Response.OnCompleted(() =>
            {
                // Kestrel has written and flushed the whole response before it runs these callbacks.
                writer.ApplicationResponding = false;
                return Task.CompletedTask;
            });
        }

        return next(context);
    });

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}

/// <summary>The connection's output, rewriting Kestrel's bodiless error answers (see <see cref="RejectedRequestAnswers"/>).</summary>
internal sealed class RejectionRewritingWriter(PipeWriter inner, int maxRequestLineSize) : PipeWriter
{
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();

    private byte[]? _held;
    private int _heldLength;
    private bool _lentHeld;
    private bool _spilled;
    private volatile bool _applicationResponding;

    /// <summary>Set while a request the application has seen is being answered.</summary>
    public bool ApplicationResponding
    {
        get => _applicationResponding;
        set => _applicationResponding = value;
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (_applicationResponding || _spilled)
        {
            _lentHeld = false;
            return inner.GetMemory(sizeHint);
        }

        var needed = _heldLength + Math.Max(sizeHint, 1);
        if (needed > RejectedRequestAnswers.MaxHeldBytes)
        {
            // Too long to be a bodiless answer: let it through as it is.
            Spill();
            _lentHeld = false;
            return inner.GetMemory(sizeHint);
        }

        _held ??= ArrayPool<byte>.Shared.Rent(RejectedRequestAnswers.MaxHeldBytes);
        _lentHeld = true;
        return _held.AsMemory(_heldLength, RejectedRequestAnswers.MaxHeldBytes - _heldLength);
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override void Advance(int bytes)
    {
        if (_lentHeld)
        {
            _heldLength += bytes;
        }
        else
        {
            inner.Advance(bytes);
        }
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        Release();
        return inner.FlushAsync(cancellationToken);
    }

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null)
    {
        Release();
        inner.Complete(exception);
    }

    public override ValueTask CompleteAsync(Exception? exception = null)
    {
        Release();
        return inner.CompleteAsync(exception);
    }

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes + _heldLength;

    /// <summary>Passes what is held on, replaced by problem details when it is a bodiless error answer.</summary>
    private void Release()
    {
        if (_heldLength > 0)
        {
            var held = _held.AsSpan(0, _heldLength);
            if (ProblemFor(held) is { } answer)
            {
                inner.Write(answer);
            }
            else
            {
                inner.Write(held);
            }
        }

        Reset();
    }

    private void Spill()
    {
        if (_heldLength > 0)
        {
            inner.Write(_held.AsSpan(0, _heldLength));
        }

        Reset();
        _spilled = true;
    }

    private void Reset()
    {
        if (_held is not null)
        {
            ArrayPool<byte>.Shared.Return(_held);
            _held = null;
        }

        _heldLength = 0;
        _lentHeld = false;
        _spilled = false;
    }

    /// <summary>
    /// The replacement for <paramref name="head"/> when it is one complete HTTP/1.1 response head with a 4xx or 5xx
    /// status, <c>Content-Length: 0</c> and no content type; otherwise null.
    /// </summary>
    private byte[]? ProblemFor(ReadOnlySpan<byte> head)
    {
        if (!head.StartsWith("HTTP/1.1 "u8) || head.IndexOf(HeadEnd) != head.Length - HeadEnd.Length)
        {
            return null;
        }

        var lines = Encoding.Latin1.GetString(head[..^HeadEnd.Length]).Split("\r\n");
        if (lines[0].Length < 12 || !int.TryParse(lines[0].AsSpan(9, 3), out var status) || status < 400)
        {
            return null;
        }

        var kept = new List<string>();
        var empty = false;
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                return null;
            }

            var name = line[..colon];
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                empty = line[(colon + 1)..].Trim() == "0";
                continue;
            }

            kept.Add(line);
        }

        if (!empty)
        {
            return null;
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new ProblemDetails
        {
            Type = TypeFor(status),
            Title = ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } reason ? reason : "Request refused",
            Status = status,
            Detail = DetailFor(status),
        });
        var text = new StringBuilder(lines[0]).Append("\r\n");
        foreach (var line in kept)
        {
            text.Append(line).Append("\r\n");
        }

        text.Append("Content-Type: application/problem+json\r\n")
            .Append("X-Content-Type-Options: nosniff\r\n")
            .Append("Cache-Control: no-store\r\n")
            .Append("Content-Length: ").Append(body.Length).Append("\r\n\r\n");
        return [.. Encoding.Latin1.GetBytes(text.ToString()), .. body];
    }

    private string DetailFor(int status) => status switch
    {
        400 => "The server could not read the request: its request line or headers are malformed. A path may not contain " +
               "an encoded NUL (%00), raw spaces or control characters.",
        408 => "The request did not arrive in time.",
        411 => "A request with a body needs a Content-Length or chunked transfer encoding.",
        414 => $"The request line is longer than the {maxRequestLineSize} bytes the server accepts.",
        431 => "The request headers are larger than the server accepts.",
        505 => "The server speaks HTTP/1.0 and HTTP/1.1 here.",
        _ => "The server refused the request before reading it.",
    };

    private static string? TypeFor(int status) => status switch
    {
        400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        405 => "https://tools.ietf.org/html/rfc9110#section-15.5.6",
        408 => "https://tools.ietf.org/html/rfc9110#section-15.5.9",
        411 => "https://tools.ietf.org/html/rfc9110#section-15.5.12",
        413 => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        414 => "https://tools.ietf.org/html/rfc9110#section-15.5.15",
        431 => "https://tools.ietf.org/html/rfc6585#section-5",
        505 => "https://tools.ietf.org/html/rfc9110#section-15.6.6",
        _ => null,
    };
}
