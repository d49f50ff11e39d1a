using System.Security.Claims;
using System.Text;
using System.Text.Json;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Api;

/// <summary>The full audit log for Auditors and Admins: read, export (streamed), verify.</summary>
internal static class AuditApi
{
    public static void MapAudit(this RouteGroupBuilder api)
    {
        var audit = api.MapGroup("/audit").WithTags("Audit");

        // total counts matches up to AuditLogService.CountLimit (totalIsExact false beyond it); count=exact counts them all.
        audit.MapGet("/", async (string? actor, string? action, string? entity, string? model, string? from, string? to, string? q,
                int? page, int? pageSize, string? count, AuditLogService service, ClaimsPrincipal user, CancellationToken ct) =>
                TypedResults.Ok(await service.ListAsync(user.ToActor(),
                    Query(actor, action, entity, model, from, to, q, page, pageSize) with { CountAll = CountAll(count) }, ct)))
            .WithName("listAuditEvents")
            .WithSummary("Lists audit events")
            .WithDescription("Newest first (Auditor, Admin). total counts up to 1,000 matches unless count=exact; entity is a type "
                + "(version) or type:id (version:llama/3); times ISO-8601.")
            .ParameterValues("count", "exact")
            .Problems(StatusCodes.Status403Forbidden);

        audit.MapGet("/export", async (string? format, string? actor, string? action, string? entity, string? model, string? from,
            string? to, string? q, AuditLogService service, ClaimsPrincipal user, HttpContext context, TimeProvider clock, CancellationToken ct) =>
        {
            var kind = (format ?? "json").ToLowerInvariant();
            if (kind is not ("csv" or "json"))
            {
                throw ValidationFailedException.For("format", "format must be csv or json.");
            }

            var query = Query(actor, action, entity, model, from, to, q, null, null);
            var who = user.ToActor();
            await service.DemandReadAsync(who, ct);
            var stamp = clock.GetUtcNow().ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture);
            context.Response.ContentType = kind == "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8";
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"audit-{stamp}.{kind}\"";
            var events = service.ExportAsync(who, query, ct);
            if (kind == "csv")
            {
                await WriteCsvAsync(context.Response.Body, events, ct);
            }
            else
            {
                await WriteJsonAsync(context.Response.Body, events, ct);
            }
        })
            .RefuseEmbedding()
            .WithName("exportAuditEvents")
            .WithSummary("Exports the audit log")
            .WithDescription("The filtered log in sequence order, streamed as an attachment, values verbatim so that an export can be "
                + "re-verified (Auditor, Admin). 403 also to a cookie request that a page embedded or another site made.")
            .ParameterValues("format", "csv", "json")
            .Produces<IReadOnlyList<AuditExportEvent>>(StatusCodes.Status200OK, "application/json")
            .AlsoAnswersText(StatusCodes.Status200OK, "text/csv")
            .ResponseHeader(StatusCodes.Status200OK, "Content-Disposition", "attachment; filename=\"audit-{time}.{format}\"")
            .Problems(StatusCodes.Status403Forbidden);

        // head=SEQ:HASH: a head kept from an earlier verification; the log must still hold it (see docs/audit.md).
        audit.MapGet("/verify", async (string? head, AuditLogService service, ClaimsPrincipal user, TimeProvider clock,
            CancellationToken ct) =>
        {
            var expected = head is null ? null : AuditHead.Parse("head", head);
            return TypedResults.Ok(AuditVerifyReport.From(await service.VerifyAsync(user.ToActor(), expected, ct), clock.GetUtcNow()));
        })
            .WithName("verifyAuditLog")
            .WithSummary("Verifies the audit log's hash chain")
            .WithDescription("head=SEQ:HASH, a head kept from an earlier verification, checks that the log still holds it (docs/audit.md).")
            .Problems(StatusCodes.Status403Forbidden);
    }

    /// <summary>An event of the JSON export (its shape, for the OpenAPI document): <c>data</c> is the event's JSON itself.</summary>
    internal sealed record AuditExportEvent(long Sequence, string Time, string ActorId, string ActorName, string Action, string EntityType,
        string EntityId, string? ModelName, JsonElement Data, string PreviousHash, string Hash);

    private static AuditQuery Query(string? actor, string? action, string? entity, string? model, string? from, string? to,
        string? q, int? page, int? pageSize)
    {
        var query = new AuditQuery(actor, action, entity, model, Input.Time("from", from),
            Input.Time("to", to), q, page, pageSize);
        AuditLogService.Validate(query);
        return query;
    }

    private static bool CountAll(string? count) => count switch
    {
        null or "" => false,
        "exact" => true,
        _ => throw ValidationFailedException.For("count", "count must be 'exact' (count every match) or left out (count up to "
            + $"{AuditLogService.CountLimit} and report whether the total is exact)."),
    };

    private static readonly string[] Columns =
        ["sequence", "time", "actorId", "actorName", "action", "entityType", "entityId", "modelName", "data", "previousHash", "hash"];

    /// <summary>RFC 4180 CSV, values verbatim (so the export can be re-verified with the documented canonical form).</summary>
    private static async Task WriteCsvAsync(Stream body, IAsyncEnumerable<AuditEntry> events, CancellationToken ct)
    {
        await using var writer = new StreamWriter(body, new UTF8Encoding(false), 64 * 1024, leaveOpen: true);
        await writer.WriteAsync(string.Join(',', Columns) + "\r\n");
        var count = 0;
        await foreach (var e in events.WithCancellation(ct))
        {
            await writer.WriteAsync(string.Join(',', new[]
            {
                e.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), AuditChain.FormatTime(e.Time), e.ActorId, e.ActorName,
                e.Action, e.EntityType, e.EntityId, e.ModelName ?? "", e.Data, e.PreviousHash, e.Hash,
            }.Select(Quote)) + "\r\n");
            if (++count % 1000 == 0)
            {
                await writer.FlushAsync(ct);
            }
        }

        await writer.FlushAsync(ct);
    }

    private static string Quote(string value) =>
        value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    /// <summary>A JSON array of events; <c>data</c> embedded as JSON, <c>time</c> in the canonical form.</summary>
    private static async Task WriteJsonAsync(Stream body, IAsyncEnumerable<AuditEntry> events, CancellationToken ct)
    {
        await using var json = new Utf8JsonWriter(body);
        json.WriteStartArray();
        var count = 0;
        await foreach (var e in events.WithCancellation(ct))
        {
            json.WriteStartObject();
            json.WriteNumber("sequence", e.Sequence);
            json.WriteString("time", AuditChain.FormatTime(e.Time));
            json.WriteString("actorId", e.ActorId);
            json.WriteString("actorName", e.ActorName);
            json.WriteString("action", e.Action);
            json.WriteString("entityType", e.EntityType);
            json.WriteString("entityId", e.EntityId);
            if (e.ModelName is null)
            {
                json.WriteNull("modelName");
            }
            else
            {
                json.WriteString("modelName", e.ModelName);
            }

            json.WritePropertyName("data");
            json.WriteRawValue(e.Data);
            json.WriteString("previousHash", e.PreviousHash);
            json.WriteString("hash", e.Hash);
            json.WriteEndObject();
            if (++count % 1000 == 0)
            {
                await json.FlushAsync(ct);
            }
        }

        json.WriteEndArray();
        await json.FlushAsync(ct);
    }
}
