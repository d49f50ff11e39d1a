using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Audit;

/// <summary>Runs inside the transaction of every recorded audit event (e.g. to queue webhook deliveries).</summary>
public interface IAuditObserver
{
    Task OnRecordedAsync(RegistryDbContext db, AuditEvent auditEvent, CancellationToken ct);
}
