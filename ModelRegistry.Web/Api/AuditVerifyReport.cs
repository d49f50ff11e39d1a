using ModelRegistry.Core.Audit;

namespace ModelRegistry.Web.Api;

/// <summary>
/// What <c>GET /api/v1/audit/verify</c> and <c>verify-audit</c> answer. <c>headSequence</c>/<c>headHash</c> and
/// <c>head</c> say the same; <c>expectedHead</c> is the head given to check (null when none was) and what became of it:
/// <c>present</c>, <c>missing</c> (the log ends before it: <c>truncated</c>) or <c>different</c>.
/// </summary>
internal sealed record AuditVerifyReport(
    bool Valid,
    long Events,
    long? FirstBrokenSequence,
    long HeadSequence,
    string HeadHash,
    AuditVerifyReport.HeadReport Head,
    AuditVerifyReport.ExpectedHeadReport? ExpectedHead,
    bool Truncated,
    DateTimeOffset VerifiedAt)
{
    internal sealed record HeadReport(long Sequence, string Hash);

    internal sealed record ExpectedHeadReport(long Sequence, string Hash, string Status);

    public static AuditVerifyReport From(AuditVerification result, DateTimeOffset verifiedAt) => new(
        result.Valid, result.Events, result.FirstBrokenSequence, result.HeadSequence, result.HeadHash,
        new HeadReport(result.Head.Sequence, result.Head.Hash),
        result.Expected is { } check
            ? new ExpectedHeadReport(check.Head.Sequence, check.Head.Hash, check.Status.ToString().ToLowerInvariant())
            : null,
        result.Truncated, verifiedAt);
}
