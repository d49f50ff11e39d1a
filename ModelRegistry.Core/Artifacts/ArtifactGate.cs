using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Lifecycle;

namespace ModelRegistry.Core.Artifacts;

/// <summary>Policy gate: a version needs at least one stored file to go to Staging or Production (per policy).</summary>
public sealed class ArtifactGate(IOptionsMonitor<LifecyclePolicyOptions> policy) : ILifecycleGate
{
    public string Name => "Files";

    public bool AppliesTo(Stage target) => target switch
    {
        Stage.Production => policy.CurrentValue.Production.RequireArtifact,
        Stage.Staging => policy.CurrentValue.Staging.RequireArtifact,
        _ => false,
    };

    public async Task<GateCheck> EvaluateAsync(LifecycleGateContext context, CancellationToken ct)
    {
        var count = await context.Db.Artifacts.CountAsync(a => a.VersionId == context.Version.Id, ct);
        return count > 0
            ? GateCheck.Pass($"{count} file{(count == 1 ? "" : "s")} stored.")
            : GateCheck.Fail("No files yet: upload the version's weights (Files tab or PUT …/files/{path}).");
    }
}
