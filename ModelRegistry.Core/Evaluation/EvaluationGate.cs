using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Lifecycle;

namespace ModelRegistry.Core.Evaluation;

/// <summary>Policy gate: before Production a version needs at least one evaluation result.</summary>
public sealed class EvaluationGate(IOptionsMonitor<LifecyclePolicyOptions> policy) : ILifecycleGate
{
    public string Name => "Evaluation results";

    public bool AppliesTo(Stage target) => target == Stage.Production && policy.CurrentValue.Production.RequireEvaluationResult;

    public async Task<GateCheck> EvaluateAsync(LifecycleGateContext context, CancellationToken ct)
    {
        var count = await context.Db.EvaluationResults.CountAsync(r => r.VersionId == context.Version.Id, ct);
        return count > 0
            ? GateCheck.Pass($"{count} evaluation result{(count == 1 ? "" : "s")} recorded.")
            : GateCheck.Fail("No evaluation results yet: record at least one (Evaluation tab, POST …/metrics, or the card's model-index).");
    }
}
