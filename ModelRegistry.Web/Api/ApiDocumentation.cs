namespace ModelRegistry.Web.Api;

/// <summary>
/// What an endpoint declares about itself beyond its typed results, for the OpenAPI document (docs/design.md, "API
/// contract rules"): the problem statuses it can answer, the headers it reads and writes, and the values a parameter
/// takes where its name alone does not say (<see cref="ApiDocumentTransformers"/> turns these into the document;
/// parameters that mean the same everywhere — <c>name</c>, <c>alias</c>, <c>id</c>, <c>page</c> … — are described there once).
/// </summary>
internal static class ApiDocumentation
{
    /// <summary>A reference read (<c>…/versions/{number}</c> as a number, alias, stage or digest): unknown (404) or a digest prefix of several versions (409).</summary>
    public static RouteHandlerBuilder ReadsVersionReference(this RouteHandlerBuilder builder) =>
        builder.Problems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);

    /// <summary>A change: a role or rule forbids it (403), something named is unknown (404), it conflicts (409), the disk is full (507).</summary>
    public static RouteHandlerBuilder Changes(this RouteHandlerBuilder builder) =>
        builder.Problems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict,
            StatusCodes.Status507InsufficientStorage);

    /// <summary>A JSON body: over the API's 1 MiB (413), or not sent as JSON (415).</summary>
    public static RouteHandlerBuilder TakesJson(this RouteHandlerBuilder builder) =>
        builder.Problems(StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType);

    /// <summary>Problem details (RFC 9457) the endpoint can answer with, beyond those every endpoint can (400, 401, 429, 503).</summary>
    public static RouteHandlerBuilder Problems(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            builder.ProducesProblem(status);
        }

        return builder;
    }

    /// <summary>A header the response with <paramref name="status"/> carries.</summary>
    public static RouteHandlerBuilder ResponseHeader(this RouteHandlerBuilder builder, int status, string name, string description,
        string? pattern = null) =>
        builder.WithMetadata(new ResponseHeaderMetadata(status, name, description, pattern));

    /// <summary>A request header the endpoint reads.</summary>
    public static RouteHandlerBuilder RequestHeader(this RouteHandlerBuilder builder, string name, string description,
        string? pattern = null) =>
        builder.WithMetadata(new RequestHeaderMetadata(name, description, pattern));

    /// <summary>Another media type the response with <paramref name="status"/> may come in, as text (e.g. CSV beside JSON).</summary>
    public static RouteHandlerBuilder AlsoAnswersText(this RouteHandlerBuilder builder, int status, string contentType) =>
        builder.WithMetadata(new TextContentMetadata(status, contentType));

    /// <summary>The values a string parameter of this endpoint takes (the server compares them ignoring case).</summary>
    public static RouteHandlerBuilder ParameterValues(this RouteHandlerBuilder builder, string name, params string[] values) =>
        builder.WithMetadata(new ParameterValuesMetadata(name, values));
}

/// <summary>See <see cref="ApiDocumentation.ResponseHeader"/>.</summary>
internal sealed record ResponseHeaderMetadata(int Status, string Name, string Description, string? Pattern);

/// <summary>See <see cref="ApiDocumentation.RequestHeader"/>.</summary>
internal sealed record RequestHeaderMetadata(string Name, string Description, string? Pattern);

/// <summary>See <see cref="ApiDocumentation.AlsoAnswersText"/>.</summary>
internal sealed record TextContentMetadata(int Status, string ContentType);

/// <summary>See <see cref="ApiDocumentation.ParameterValues"/>.</summary>
internal sealed record ParameterValuesMetadata(string Name, IReadOnlyList<string> Values);
