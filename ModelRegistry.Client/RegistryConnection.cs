using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;

namespace ModelRegistry.Client;

/// <summary>
/// One registry as <c>mreg</c> talks to it: the client generated from docs/openapi.json (<see cref="Api"/>) for every
/// JSON operation, and the same <see cref="HttpClient"/> — same base address, same bearer token — for what the generated
/// client cannot express: a file body streamed from disk, tus requests with raw bytes and protocol headers, ranged
/// downloads streamed to disk (docs/decisions/0024).
/// </summary>
internal sealed class RegistryConnection : IDisposable
{
    private RegistryConnection(HttpClient http, Uri baseAddress)
    {
        Http = http;
        BaseAddress = baseAddress;
        // The raw body too, so problem details reach the user whatever schema the operation declares for them.
        Api = new Api.RegistryApi(http) { ReadResponseAsString = true };
    }

    public HttpClient Http { get; }

    public Uri BaseAddress { get; }

    public Api.RegistryApi Api { get; }

    public static RegistryConnection Open(MregEnvironment env, ClientSettings settings)
    {
        var handler = env.Handler?.Invoke() ?? new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            // Large transfers: several connections at once, one per file in flight.
            MaxConnectionsPerServer = 64,
        };
        var http = new HttpClient(handler)
        {
            BaseAddress = settings.Url,
            // Transfers of hundreds of GB take as long as they take; a dead connection shows as an I/O error.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (settings.Token is { } token)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("mreg", typeof(RegistryConnection).Assembly.GetName().Version?.ToString(3) ?? "1"));
        return new RegistryConnection(http, settings.Url);
    }

    /// <summary>The API route <paramref name="relative"/> (no leading slash) under the registry's URL.</summary>
    public Uri Route(string relative) => new(BaseAddress, relative);

    /// <summary>A model's route prefix, <c>api/v1/models/{name}</c>, escaped.</summary>
    public static string ModelRoute(string model) => $"api/v1/models/{Uri.EscapeDataString(model)}";

    /// <summary>A file path in a route: each segment escaped, slashes kept.</summary>
    public static string FileRoute(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    public void Dispose() => Http.Dispose();

    /// <summary>An answer that is not a success, as the user should read it.</summary>
    public static async Task<MregException> FailureAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        var body = "";
        try
        {
            body = await response.Content.ReadAsStringAsync(ct);
        }
        catch (HttpRequestException)
        {
            // The status says enough.
        }

        return Failure((int)response.StatusCode, body, what);
    }

    /// <summary>Maps a status and its problem-details body to a message and the exit code of the contract.</summary>
    public static MregException Failure(int status, string? body, string what)
    {
        var problem = ParseProblem(status, body);
        var message = $"{what}: {Describe(problem)}";
        var code = status switch
        {
            400 => ExitCodes.Usage,
            401 => ExitCodes.Refused,
            403 or 409 or 413 or 415 => ExitCodes.Refused,
            404 or 410 => ExitCodes.NotFound,
            422 or 460 => ExitCodes.VerificationFailed,
            >= 500 => ExitCodes.Unreachable,
            _ => ExitCodes.Refused,
        };
        if (status == 401)
        {
            message += " (check the token: 'mreg login' or MREG_TOKEN)";
        }

        return new MregException(code, message, problem);
    }

    private static string Describe(ProblemInfo problem)
    {
        var text = problem.Detail ?? problem.Title ?? $"HTTP {problem.Status}";
        if (problem.Title is { } title && problem.Detail is not null && !problem.Detail.StartsWith(title, StringComparison.OrdinalIgnoreCase))
        {
            text = $"{title} — {problem.Detail}";
        }

        if (problem.Errors is { Count: > 0 } errors)
        {
            text += string.Concat(errors.SelectMany(e => e.Value.Select(m => $"{Environment.NewLine}  {e.Key}: {m}")));
        }

        return $"{text} (HTTP {problem.Status}{(problem.Code is { } c ? ", " + c : "")})";
    }

    internal static ProblemInfo ParseProblem(int status, string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return new ProblemInfo(status, null, null, null, null);
        }

        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new ProblemInfo(status, null, Shorten(body), null, null);
            }

            static string? Text(JsonElement e, string name) =>
                e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

            Dictionary<string, string[]>? errors = null;
            if (root.TryGetProperty("errors", out var list) && list.ValueKind == JsonValueKind.Object)
            {
                errors = [];
                foreach (var field in list.EnumerateObject())
                {
                    errors[field.Name] = field.Value.ValueKind == JsonValueKind.Array
                        ? [.. field.Value.EnumerateArray().Select(m => m.ToString())]
                        : [field.Value.ToString()];
                }
            }

            return new ProblemInfo(status, Text(root, "title"), Text(root, "detail"), Text(root, "code"), errors);
        }
        catch (JsonException)
        {
            return new ProblemInfo(status, null, Shorten(body), null, null);
        }
    }

    private static string Shorten(string body) => body.Length > 300 ? body[..300] + "…" : body.Trim();

    /// <summary>Whether an exception means the server could not be reached or the connection broke.</summary>
    public static bool IsConnectionFailure(Exception e) => e switch
    {
        HttpRequestException { StatusCode: null } => true,
        SocketException or HttpIOException => true,
        IOException { InnerException: SocketException or HttpIOException } => true,
        _ => false,
    };

    /// <summary>Whether a status is worth retrying after a pause (the server or a proxy in between is busy).</summary>
    public static bool IsTransient(HttpStatusCode status) => status is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable
        or HttpStatusCode.GatewayTimeout or HttpStatusCode.TooManyRequests;
}
